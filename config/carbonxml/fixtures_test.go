package carbonxml

import (
	"os"
	"strings"
)

// Own fixtures, shaped after the shipped Carbon 4.4 and EI 6.1.1 files.

const head = `<?xml version="1.0" encoding="ISO-8859-1"?>
<!--
 Copyright header.
-->
<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">

    <Name>WSO2 Enterprise Integrator - Analytics</Name>
    <Ports>
        <Offset>1</Offset>
    </Ports>

`

const liveBlock = `    <!-- Deployment Synchronizer Configuration. t Enabled value to true when running with "svn based" dep sync.
	In master nodes you need to set both AutoCommit and AutoCheckout to true
	and in  worker nodes set only AutoCheckout to true.
    -->
    <DeploymentSynchronizer>
        <Enabled>false</Enabled>
        <AutoCommit>false</AutoCommit>
        <AutoCheckout>true</AutoCheckout>
        <RepositoryType>svn</RepositoryType>
        <SvnUrl>http://svnrepo.example.com/repos/</SvnUrl>
        <SvnUser>username</SvnUser>
        <SvnPassword>password</SvnPassword>
        <SvnUrlAppendTenantId>true</SvnUrlAppendTenantId>
    </DeploymentSynchronizer>
`

const commentedBlock = `
    <!-- Deployment Synchronizer Configuration. Uncomment the following section when running with "registry based" dep sync.
    -->
    <!--<DeploymentSynchronizer>
        <Enabled>true</Enabled>
        <AutoCommit>false</AutoCommit>
        <AutoCheckout>true</AutoCheckout>
    </DeploymentSynchronizer>-->
`

const tail = `
    <ServerInitializers>
        <!--<Initializer></Initializer>-->
    </ServerInitializers>
</Server>
`

var (
	// fixtureFull is the EI analytics layout: live block, then a commented one.
	fixtureFull = head + liveBlock + commentedBlock + tail
	// fixtureNoBlock has no block at all.
	fixtureNoBlock = head + tail
	// fixtureOnlyCommented has only the commented-out block.
	fixtureOnlyCommented = head + commentedBlock + tail
	// fixtureCRLF is fixtureFull with Windows line ends.
	fixtureCRLF = strings.ReplaceAll(fixtureFull, "\n", "\r\n")
	// fixtureTabs is indented with tabs and has a partial block.
	fixtureTabs = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
		"<Server xmlns=\"http://wso2.org/projects/carbon/carbon.xml\">\n" +
		"\t<Name>Tabbed</Name>\n" +
		"\t<DeploymentSynchronizer>\n" +
		"\t\t<Enabled>true</Enabled>\n" +
		"\t\t<SvnUrl>http://old/repo</SvnUrl>\n" +
		"\t</DeploymentSynchronizer>\n" +
		"</Server>\n"
	// fixtureTabsNoBlock is indented with tabs and has no block.
	fixtureTabsNoBlock = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
		"<Server xmlns=\"http://wso2.org/projects/carbon/carbon.xml\">\n" +
		"\t<Name>Tabbed</Name>\n" +
		"\t<Ports>\n\t\t<Offset>0</Offset>\n\t</Ports>\n" +
		"</Server>\n"
	// fixtureExtra has children depsync does not own and a comment inside.
	fixtureExtra = head + `    <DeploymentSynchronizer>
        <Enabled>false</Enabled>
        <AutoCommit>false</AutoCommit>
        <!-- <AutoCheckout>false</AutoCheckout> -->
        <AutoCheckout>true</AutoCheckout>
        <RepositoryType>svn</RepositoryType>
        <SvnUrl>http://svnrepo.example.com/repos/</SvnUrl>
        <SvnUser>username</SvnUser>
        <SvnPassword>password</SvnPassword>
        <SvnUrlAppendTenantId>true</SvnUrlAppendTenantId>
        <SvnForceUpdate>true</SvnForceUpdate>
        <SvnIgnoreExternals>true</SvnIgnoreExternals>
        <SvnClient>svnkit</SvnClient>
    </DeploymentSynchronizer>
` + commentedBlock + tail
	// fixtureSelfClosing has <DeploymentSynchronizer/>.
	fixtureSelfClosing = head + "    <DeploymentSynchronizer/>\n" + tail
	// fixtureEmpty has a block without children.
	fixtureEmpty = head + "    <DeploymentSynchronizer>\n    </DeploymentSynchronizer>\n" + tail
	// fixtureOneLine has the whole block on one line.
	fixtureOneLine = head + "    <DeploymentSynchronizer><Enabled>true</Enabled><SvnClient>svnkit</SvnClient></DeploymentSynchronizer>\n" + tail
	// fixtureLatin1 is ISO-8859-1 with a non-ASCII byte before and inside the block.
	fixtureLatin1 = strings.Replace(strings.Replace(fixtureFull, "Copyright header.", "Copyright \xa9 header.", 1),
		"<SvnUser>username</SvnUser>", "<SvnUser>j\xfcrgen</SvnUser>", 1)
	// fixtureSecure declares the Secure Vault namespace under another prefix.
	fixtureSecure = strings.Replace(fixtureFull, `<Server xmlns="http://wso2.org/projects/carbon/carbon.xml">`,
		`<Server xmlns="http://wso2.org/projects/carbon/carbon.xml" xmlns:sv="http://org.wso2.securevault/configuration">`, 1)
	// fixtureRootSelfClosing is an empty <Server/>.
	fixtureRootSelfClosing = `<?xml version="1.0"?>` + "\n" + `<Server xmlns="http://wso2.org/projects/carbon/carbon.xml"/>` + "\n"
	// fixtureNoIndent is a one-line document.
	fixtureNoIndent = `<Server xmlns="http://wso2.org/projects/carbon/carbon.xml"><Name>x</Name></Server>`
	// fixtureEI is EI 6.1.1's shape with a child depsync does not own
	// (SvnClient); cmd/depsync's carbon-config tests edit the same file.
	fixtureEI = readTestdata("testdata/ei-6.1.1.xml")
)

// readTestdata reads a fixture when the tests start.
func readTestdata(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		panic(err)
	}
	return string(b)
}
