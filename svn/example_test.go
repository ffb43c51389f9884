package svn_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/depsync/depsync/svn"
)

// The syncer's loop in miniature: probe, update, commit local changes, and
// act on typed errors.
func ExampleClient() {
	c, err := svn.New(svn.Options{
		Username: "depsync",
		Password: "from password_file", // never in argv, logs or errors
		StateDir: "/var/lib/depsync",   // config goes to /var/lib/depsync/svn-config
		Timeout:  10 * time.Minute,
		Logger:   slog.Default(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	url := svn.JoinURL("http://svn.example.com/repos/depsync", "-1234")
	dir := "/opt/wso2/repository/deployment/server"

	head, err := c.RemoteRevision(ctx, url)
	switch {
	case errors.Is(err, svn.ErrUnreachable), errors.Is(err, svn.ErrTimeout):
		fmt.Println("svn down, retry later:", err)
		return
	case errors.Is(err, svn.ErrAuth):
		fmt.Println("fix the credentials:", err)
		return
	case err != nil:
		fmt.Println(err)
		return
	}
	if info, err := c.Info(ctx, dir); err == nil && info.Revision < head {
		res, err := c.Update(ctx, dir)
		if err == nil && len(res.Conflicts) > 0 {
			if err := c.Resolve(ctx, dir, "theirs-full", res.Conflicts...); err != nil {
				fmt.Println(err)
				return
			}
		}
	}
	rev, err := c.Commit(ctx, dir, "depsync: webapps changed on node1", "webapps/app.war", "carbonapps/x_1.0.0.car")
	var e *svn.Error
	if errors.As(err, &e) {
		fmt.Println(e.Op, e.Codes, e.Kind)
		return
	}
	fmt.Println("committed revision", rev)
}
