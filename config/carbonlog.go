package config

import "path/filepath"

// LogFilePath returns the Carbon log to read for C-App states:
// carbon.log_file, else <carbon.home>/repository/logs/wso2carbon.log (where
// every Carbon 4.4 / EI 6.x profile writes it), else "" when neither is set.
func (c Carbon) LogFilePath() string {
	if c.LogFile != "" {
		if a, err := filepath.Abs(c.LogFile); err == nil {
			return a
		}
		return c.LogFile
	}
	if c.Home == "" {
		return ""
	}
	return filepath.Join(c.Home, "repository", "logs", "wso2carbon.log")
}
