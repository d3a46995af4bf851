package poller_test

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/state/redistest"
)

func TestBadCredentialsClearErrors(t *testing.T) {
	redis := redistest.Start(t)
	for _, c := range []struct {
		name   string
		edit   func(*world)
		secret string
		want   []string
	}{
		{"servicenow password", func(w *world) {
			w.snOpts = func(o *servicenow.Options) { o.Password = "wrong-secret-pw" }
		}, "wrong-secret-pw", []string{"servicenow", "password"}},
		{"flashduty app key", func(w *world) {
			w.fdOpts = func(o *flashduty.Options) { o.AppKey = "wrong-secret-key" }
		}, "wrong-secret-key", []string{"flashduty", "app key"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWorld(redis)
				c.edit(w)
				e := w.newEnv(t)
				err := e.passErr()
				if err == nil {
					t.Fatal("pass succeeded with bad credentials")
				}
				t.Log(err)
				msg := strings.ToLower(err.Error())
				for _, want := range c.want {
					if !strings.Contains(msg, want) {
						t.Errorf("error %q does not mention %q", err, want)
					}
				}
				if strings.Contains(err.Error(), c.secret) || strings.Contains(e.logs.String(), c.secret) {
					t.Fatal("the secret leaked into the error or the logs")
				}
				if e.writes() != 0 {
					t.Fatalf("%d writes with bad credentials", e.writes())
				}
				if _, err := e.p.SyncOne(t.Context(), "INC0010001"); err == nil {
					t.Fatal("sync succeeded with bad credentials")
				}
			})
		})
	}
}
