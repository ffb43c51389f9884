package config

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCarbonLogFilePath(t *testing.T) {
	assert.Equal(t, filepath.Join("/opt/ei", "repository", "logs", "wso2carbon.log"), Carbon{Home: "/opt/ei"}.LogFilePath())
	assert.Equal(t, "/var/log/ei/wso2carbon.log", Carbon{Home: "/opt/ei", LogFile: "/var/log/ei/wso2carbon.log"}.LogFilePath())
	assert.Equal(t, "", Carbon{}.LogFilePath())
}
