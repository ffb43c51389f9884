// Package fswatch reports changes below deployment directories. A Watcher
// per tree turns file-system events into batches of changed paths (when a
// batch goes is package debounce's); one Hub per daemon gives every
// Watcher a share of one fsnotify watcher, since inotify instances are few
// per user, and of one close watch, which tells at once that a file was
// closed after writing or renamed in. Events are hints: the consumer looks
// at the paths itself.
package fswatch
