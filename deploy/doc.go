// Package deploy moves C-Apps (.car files) straight between depsync nodes
// over HTTP, without SVN: the peer C-App API every node serves under
// /v1/capps, the Store behind it that writes a C-App into Carbon's
// carbonapps directory verified and atomically, and the metrics of direct
// mode. The client of the API (used by `depsync capp push` and by the
// reconciler) is package deploy/client; the reconciler, with which a
// manager in direct mode keeps each peer's carbonapps in step with its own,
// is package deploy/reconcile; the name rule all of them apply is package
// deploy/cappname.
//
// # Peer API
//
//	GET    /v1/capps          the node's C-Apps: [{"file","id","name","version","size","sha256","mtime"}];
//	                          ETag and Depsync-Boot headers, 304 on a matching If-None-Match
//	PUT    /v1/capps/{file}   Content-Digest: sha-256=:<base64>: ; ?replace=true ?force=true
//	DELETE /v1/capps/{file}   204, or 404 ; ?force=true
//
// Every request needs "Authorization: Bearer <token>" (401 otherwise, and
// nothing is written). A PUT body streams to a temporary file in the
// carbonapps directory under a name Carbon ignores (".depsync-*.tmp"), is
// hashed while written, size-limited, fsynced, validated with package
// carbonapp and renamed into place, the directory fsynced after. The reply
// is 201 created, 200 updated or 200 unchanged (same sha256: the file is not
// rewritten, so Carbon does not redeploy it), with
// {"file","id","sha256","status"}. A different file carrying the id of an
// existing C-App is 409 unless ?replace=true, which removes the old file in
// the same step. Errors are JSON ({"error": ...}) and leave nothing behind:
// 400 bad name or digest, 400 interrupted (the body is shorter or longer
// than its Content-Length), 413 too large, 422 not a valid C-App, 507 no
// space left on the node's file system.
//
// The manager is the one source of truth. A worker applies PUT and DELETE
// only from its manager's reconciler, which marks its requests with the
// Depsync-Reconciler header; anyone else gets 409 with the manager's URL in
// the "manager" field, and `depsync capp push` follows it. Over TLS the
// header counts only with a client certificate signed by the worker's
// tls.ca_file that names the host of one of its peers exactly and holds no
// wildcard name (403 otherwise); without TLS the header alone marks the
// manager's writes. ?force=true makes a worker accept anyway (over TLS
// only with a client certificate signed by its tls.ca_file), for an
// emergency with the manager down: the
// manager's next reconcile removes from the worker whatever it does not
// hold itself (with sync.prune), so push the same C-App to the manager once
// it is back.
package deploy
