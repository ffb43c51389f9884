package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSelfAndLocalURL: what peers are told (SelfURL) and what the node's
// own CLI asks (LocalURL) differ only for a wildcard listen address, which
// becomes node_name for peers and loopback for the node itself.
func TestSelfAndLocalURL(t *testing.T) {
	tlsOn := TLS{CertFile: "/etc/depsync/n.crt", KeyFile: "/etc/depsync/n.key"}
	tests := []struct {
		name        string
		listen      string
		tls         TLS
		self, local string
	}{
		{"loopback", "127.0.0.1:9780", TLS{}, "http://127.0.0.1:9780", "http://127.0.0.1:9780"},
		{"an address of the node", "10.0.0.5:9780", TLS{}, "http://10.0.0.5:9780", "http://10.0.0.5:9780"},
		{"a name", "node1.example:9780", TLS{}, "http://node1.example:9780", "http://node1.example:9780"},
		{"IPv4 wildcard", "0.0.0.0:9780", TLS{}, "http://node1:9780", "http://127.0.0.1:9780"},
		{"IPv6 wildcard", "[::]:9780", TLS{}, "http://node1:9780", "http://127.0.0.1:9780"},
		{"empty host", ":9780", TLS{}, "http://node1:9780", "http://127.0.0.1:9780"},
		{"IPv6 address", "[2001:db8::5]:9780", TLS{}, "http://[2001:db8::5]:9780", "http://[2001:db8::5]:9780"},
		{"TLS", "0.0.0.0:9780", tlsOn, "https://node1:9780", "https://127.0.0.1:9780"},
		{"CA only is not TLS", "127.0.0.1:9780", TLS{CAFile: "/etc/depsync/ca.crt"}, "http://127.0.0.1:9780", "http://127.0.0.1:9780"},
		{"not host:port", "node1", TLS{}, "", "http://node1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Listen: tt.listen, NodeName: "node1", TLS: tt.tls}
			assert.Equal(t, tt.self, c.SelfURL(), "SelfURL")
			assert.Equal(t, tt.local, c.LocalURL(), "LocalURL")
		})
	}
}

// TestRedactURL: every JDBC form that carries a password, and URLs with
// user info, print without the password, keeping what names the database.
func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"jdbc:oracle:thin:user/Tiger9@db:1521:orcl", "jdbc:oracle:thin:user/<redacted>@db:1521:orcl"},
		{"jdbc:oracle:thin:scott/Tiger9@//db.example:1521/orclpdb", "jdbc:oracle:thin:scott/<redacted>@//db.example:1521/orclpdb"},
		{`jdbc:oracle:thin:scott/"P@ss/w"@db:1521:orcl`, "jdbc:oracle:thin:scott/<redacted>@db:1521:orcl"},
		{"JDBC:ORACLE:OCI:scott/Tiger9@tnsalias", "JDBC:ORACLE:OCI:scott/<redacted>@tnsalias"},
		{"jdbc:oracle:thin:scott/Tiger9@(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=db)(PORT=1521))(CONNECT_DATA=(SID=orcl)))",
			"jdbc:oracle:thin:scott/<redacted>@(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=db)(PORT=1521))(CONNECT_DATA=(SID=orcl)))"},
		{"jdbc:oracle:thin:@db:1521:orcl", "jdbc:oracle:thin:@db:1521:orcl"},
		{"jdbc:oracle:thin:@//db:1521/svc", "jdbc:oracle:thin:@//db:1521/svc"},
		{"jdbc:mysql://h:3306/db?user=u&password=S3cret", "jdbc:mysql://h:3306/db?user=u&password=<redacted>"},
		{"jdbc:mysql://h:3306/db?password=S3cret&useSSL=false", "jdbc:mysql://h:3306/db?password=<redacted>&useSSL=false"},
		{"jdbc:mysql://h/db?trustCertificateKeyStorePassword=S3cret", "jdbc:mysql://h/db?trustCertificateKeyStorePassword=<redacted>"},
		{"jdbc:mysql://u:S3cret@h:3306/db", "jdbc:mysql://h:3306/db"},
		{"jdbc:mysql://address=(host=h)(port=3306)(user=u)(password=S3cret)/db", "jdbc:mysql://address=(host=h)(port=3306)(user=u)(password=<redacted>)/db"},
		{"jdbc:mysql://(host=h,user=u,password=S3cret,port=3306)/db", "jdbc:mysql://(host=h,user=u,password=<redacted>)/db"},
		{"jdbc:postgresql://h:5432/db?user=u&password=S3cret&ssl=true", "jdbc:postgresql://h:5432/db?user=u&password=<redacted>&ssl=true"},
		{"jdbc:postgresql://h/db?sslpassword=S3cret", "jdbc:postgresql://h/db?sslpassword=<redacted>"},
		{"jdbc:postgresql://u:S3cret@h:5432/db", "jdbc:postgresql://h:5432/db"},
		{"jdbc:sqlserver://h:1433;databaseName=db;user=u;password=S3cret;encrypt=true", "jdbc:sqlserver://h:1433;databaseName=db;user=u;password=<redacted>;encrypt=true"},
		{"jdbc:sqlserver://h;user=u;password={S3c;ret}};x};loginTimeout=30", "jdbc:sqlserver://h;user=u;password=<redacted>};x};loginTimeout=30"},
		{"jdbc:sqlserver://h;Password=S3cret", "jdbc:sqlserver://h;Password=<redacted>"},
		{"jdbc:jtds:sqlserver://h:1433/db;user=u;password=S3cret", "jdbc:jtds:sqlserver://h:1433/db;user=u;password=<redacted>"},
		{"jdbc:h2:tcp://h:9092/~/db;USER=sa;PASSWORD=S3cret", "jdbc:h2:tcp://h:9092/~/db;USER=sa;PASSWORD=<redacted>"},
		{"jdbc:h2:./repository/database/WSO2CARBON_DB;PASSWORD=S3cret;DB_CLOSE_ON_EXIT=FALSE", "jdbc:h2:./repository/database/WSO2CARBON_DB;PASSWORD=<redacted>;DB_CLOSE_ON_EXIT=FALSE"},
		{"jdbc:h2:./repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE", "jdbc:h2:./repository/database/WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE"},
		{"jdbc:db2://h:50000/db:user=u;password=S3cret;", "jdbc:db2://h:50000/db:user=u;password=<redacted>;"},
		{"jdbc:mariadb://h/db?pwd=S3cret", "jdbc:mariadb://h/db?pwd=<redacted>"},
		{`jdbc:sqlserver://h;password="S3;cret"`, "jdbc:sqlserver://h;password=<redacted>"},
		{"password=S3cret", "password=<redacted>"},
		{"http://user:S3cret@127.0.0.1:9780/x", "http://127.0.0.1:9780/x"},
		{"user:S3cret@host", "host"},
		{"https://node1:9780", "https://node1:9780"},
		{"spark://10.0.0.11:7077,10.0.0.12:7077", "spark://10.0.0.11:7077,10.0.0.12:7077"},
		{"", ""},
	} {
		got := RedactURL(tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		assert.NotContains(t, got, "S3c", tc.in)
		assert.NotContains(t, got, "Tiger9", tc.in)
		assert.NotContains(t, got, "P@ss", tc.in)
	}
}
