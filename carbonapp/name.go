package carbonapp

import "strings"

// Ext is the extension of a C-App file, as Carbon spells it.
const Ext = ".car"

// IsCApp reports whether name is a file Carbon's C-App deployer picks up:
// one that ends in ".car", in lower case, and does not start with a dot.
// name may be a slash-separated path: its last element is judged. Whether
// the name is a regular file, and whether it lies where Carbon looks, is
// the caller's to say.
//
// The case is Carbon's: Axis2's RepositoryListener (Carbon 4.4 ships
// WSO2's fork of it) hands a file of carbonapps to the deployer registered
// for the extension "car" only when extension.equals(getFileExtension(name))
// holds, a case-sensitive compare, and newer forks first keep the names
// that endsWith(".car"); its addFileToDeploy skips names that start with a
// dot. So App.CAR and .App.car are never deployed, and depsync, which
// judges C-Apps to keep what Carbon deploys in step, does not take them for
// C-Apps either: the deletion guard does not count them as keeping
// carbonapps from being emptied, the worker never removes them as strays,
// the Store does not list them and the manager commits them as plain files.
func IsCApp(name string) bool {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return len(name) > len(Ext) && !strings.HasPrefix(name, ".") && strings.HasSuffix(name, Ext)
}
