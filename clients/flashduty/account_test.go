package flashduty_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/httpx"
)

// An account-level key: /member/info refuses it with HTTP 400, which the
// client reports as ErrAccountKey (still a *Error of class BadRequest, with
// the request id), and /account/info tells who the key is.
func TestAccountKey(t *testing.T) {
	e := newEnv(t, fdsim.Options{AccountKey: "acct-key"}, flashduty.Options{AppKey: "acct-key"})
	_, err := e.client.MemberInfo(t.Context())
	if !errors.Is(err, flashduty.ErrAccountKey) {
		t.Fatalf("MemberInfo with an account key = %v, want ErrAccountKey", err)
	}
	var fe *flashduty.Error
	if !errors.As(err, &fe) || fe.Status != http.StatusBadRequest || fe.Code != "InvalidParameter" || fe.Endpoint != "/member/info" || fe.RequestID == "" {
		t.Fatalf("MemberInfo error = %#v, want the /member/info 400 envelope with its request id", fe)
	}
	if c := flashduty.ClassOf(err); c != httpx.BadRequest {
		t.Errorf("class = %s, want bad_request", c)
	}
	if strings.Contains(err.Error(), "acct-key") || !strings.Contains(err.Error(), "account-level") {
		t.Errorf("error text %q: want it to say account-level and never the key", err)
	}
	if n := e.sim.Count("POST", "/member/info"); n != 1 {
		t.Errorf("/member/info called %d times, want 1 (a 400 is not retried)", n)
	}

	acct, err := e.client.AccountInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if acct.AccountID != fdsim.DefaultAccountID || acct.AccountName != "Acme Corp" || acct.TimeZone == "" || acct.Domain != "acme" {
		t.Errorf("AccountInfo = %+v", acct)
	}
	if !acct.IsSelf(fdsim.DefaultAccountID) || acct.IsSelf(0) || acct.IsSelf(fdsim.AliceID) {
		t.Errorf("Account.IsSelf is wrong")
	}

	// Its writes carry the account id.
	id, err := e.client.Create(t.Context(), flashduty.CreateRequest{Title: "From the account key", Severity: flashduty.SeverityInfo})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.client.Comment(t.Context(), id, "written as the account"); err != nil {
		t.Fatal(err)
	}
	feed, err := e.client.Feed(t.Context(), flashduty.FeedQuery{IncidentID: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(feed) < 2 {
		t.Fatalf("feed = %+v", feed)
	}
	for _, it := range feed {
		if !acct.IsSelf(it.CreatorID) {
			t.Errorf("feed %s by %d, want the account id %d", it.Type, it.CreatorID, acct.AccountID)
		}
	}
}

// A member key reads /account/info too, and its /member/info is no
// ErrAccountKey.
func TestAccountInfoWithMemberKey(t *testing.T) {
	e := newEnv(t, fdsim.Options{}, flashduty.Options{})
	me, err := e.client.MemberInfo(t.Context())
	if err != nil || errors.Is(err, flashduty.ErrAccountKey) {
		t.Fatalf("MemberInfo = %+v, %v", me, err)
	}
	acct, err := e.client.AccountInfo(t.Context())
	if err != nil || acct.AccountID != me.AccountID || acct.AccountName != me.AccountName {
		t.Fatalf("AccountInfo = %+v, %v; want the member's account %d", acct, err, me.AccountID)
	}
}

// Other failures of /member/info, and 400s of other endpoints, are never
// taken for an account-level key.
func TestAccountKeyNotMisclassified(t *testing.T) {
	cases := []struct {
		name  string
		fault fdsim.Fault
	}{
		{"wrong content type", fdsim.Fault{Path: "/member/info", Status: 400, Code: "InvalidContentType"}},
		{"no licence", fdsim.Fault{Path: "/member/info", Status: 400, Code: "NoLicense"}},
		{"too large", fdsim.Fault{Path: "/member/info", Status: 400, Code: "EntityTooLarge"}},
		{"unknown code", fdsim.Fault{Path: "/member/info", Status: 400, Code: "SomethingNew"}},
		{"envelope error on HTTP 200", fdsim.Fault{Path: "/member/info", Status: 200, Code: "InvalidParameter"}},
		{"access denied", fdsim.Fault{Path: "/member/info", Status: 403}},
		{"server error", fdsim.Fault{Path: "/member/info", Status: 500}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, fdsim.Options{}, flashduty.Options{MaxAttempts: 1})
			e.inject(t, tc.fault)
			_, err := e.client.MemberInfo(t.Context())
			if err == nil || errors.Is(err, flashduty.ErrAccountKey) {
				t.Fatalf("MemberInfo = %v, want an error that is not ErrAccountKey", err)
			}
		})
	}
	t.Run("wrong key", func(t *testing.T) {
		e := newEnv(t, fdsim.Options{}, flashduty.Options{AppKey: "wrong"})
		_, err := e.client.MemberInfo(t.Context())
		if flashduty.ClassOf(err) != httpx.Unauthorized || errors.Is(err, flashduty.ErrAccountKey) {
			t.Fatalf("MemberInfo = %v, want Unauthorized, not ErrAccountKey", err)
		}
	})
	t.Run("a proxy's 400 page", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte("<html><body>400 Bad Request</body></html>"))
		}))
		defer srv.Close()
		c, err := flashduty.New(flashduty.Options{BaseURL: srv.URL, AppKey: "k", AllowHTTP: true, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.MemberInfo(t.Context()); err == nil || errors.Is(err, flashduty.ErrAccountKey) {
			t.Fatalf("MemberInfo = %v, want an error that is not ErrAccountKey", err)
		}
	})
	t.Run("invalid parameter elsewhere", func(t *testing.T) {
		e := newEnv(t, fdsim.Options{}, flashduty.Options{})
		e.inject(t, fdsim.Fault{Path: "/account/info", Status: 400, Code: "InvalidParameter"})
		if _, err := e.client.AccountInfo(t.Context()); err == nil || errors.Is(err, flashduty.ErrAccountKey) {
			t.Fatalf("AccountInfo = %v, want an error that is not ErrAccountKey", err)
		}
	})
}

// The codes a real service might give the refusal besides the simulator's
// InvalidParameter: each, with HTTP 400 on /member/info, is ErrAccountKey.
func TestAccountKeyCodes(t *testing.T) {
	for _, code := range []string{"InvalidParameter", "BadRequest", "ResourceNotFound"} {
		t.Run(code, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Flashcat-Request-Id", "01HK8XQE3Z7JM2NTFQ5YJ8P9R4")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"request_id":"01HK8XQE3Z7JM2NTFQ5YJ8P9R4","error":{"code":"` + code + `","message":"member not found"}}`))
			}))
			defer srv.Close()
			c, err := flashduty.New(flashduty.Options{BaseURL: srv.URL, AppKey: "k", AllowHTTP: true, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.MemberInfo(t.Context()); !errors.Is(err, flashduty.ErrAccountKey) {
				t.Fatalf("MemberInfo = %v, want ErrAccountKey", err)
			}
		})
	}
}

// Identity: the member of a member key, the account principal of an
// account-level key; other failures pass through.
func TestIdentity(t *testing.T) {
	e := newEnv(t, fdsim.Options{AccountKey: "acct-key"}, flashduty.Options{})
	me, err := e.client.Identity(t.Context())
	if err != nil || me.AccountLevel || me.PersonID != fdsim.DefaultKeyMemberID || me.Name != "snowduty sync" || me.AccountID != fdsim.DefaultAccountID || me.AccountName != "Acme Corp" {
		t.Fatalf("Identity with the member key = %+v, %v", me, err)
	}
	if e.sim.Count("POST", "/account/info") != 0 {
		t.Errorf("a member key read /account/info")
	}
	acct := newEnv(t, fdsim.Options{AccountKey: "acct-key"}, flashduty.Options{AppKey: "acct-key"})
	me, err = acct.client.Identity(t.Context())
	if err != nil || !me.AccountLevel || me.PersonID != fdsim.DefaultAccountID || me.Name != "Acme Corp" || me.AccountID != fdsim.DefaultAccountID || !me.IsSelf(fdsim.DefaultAccountID) || me.IsSelf(fdsim.DefaultKeyMemberID) {
		t.Fatalf("Identity with the account key = %+v, %v", me, err)
	}
	// /account/info failing too: the error says account-level, and is
	// classed by the /account/info failure.
	acct.inject(t, fdsim.Fault{Path: "/account/info", Status: 403})
	if _, err := acct.client.Identity(t.Context()); !errors.Is(err, flashduty.ErrAccountKey) || flashduty.ClassOf(err) != httpx.Forbidden || !strings.Contains(err.Error(), "/account/info") {
		t.Errorf("Identity with /account/info refused = %v", err)
	}
	wrong := newEnv(t, fdsim.Options{}, flashduty.Options{AppKey: "wrong"})
	if _, err := wrong.client.Identity(t.Context()); flashduty.ClassOf(err) != httpx.Unauthorized || errors.Is(err, flashduty.ErrAccountKey) {
		t.Errorf("Identity with a wrong key = %v", err)
	}
	if wrong.sim.Count("POST", "/account/info") != 0 {
		t.Errorf("a wrong key fell back to /account/info")
	}
}
