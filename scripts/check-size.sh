#!/usr/bin/env bash
# Fails when a tracked file is over 1 MB (LIMIT bytes), except under a
# testdata folder: build outputs (a committed binary) and other large
# files do not belong in the repository. make lint runs it, so CI does.
set -euo pipefail
limit="${LIMIT:-1048576}"
status=0
while IFS= read -r -d '' f; do
  case "/$f" in */testdata/*) continue ;; esac
  [ -f "$f" ] || continue # deleted in the work tree, or not a file
  size=$(stat -c %s -- "$f")
  if [ "$size" -gt "$limit" ]; then
    echo "check-size: $f is $size bytes (over $limit): keep build outputs and large files out of git (testdata/ excepted)" >&2
    status=1
  fi
done < <(git ls-files -z)
exit "$status"
