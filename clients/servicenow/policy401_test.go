package servicenow

import (
	"strings"
	"testing"

	"github.com/snowduty/snowduty/clients/httpx"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// TestAPIAccessPolicy401IsNotAWrongPassword: a Table API 401 after a token
// grant, or after Basic credentials worked, is a REST API access policy
// (reference/vendor-clients.md) and says so; the class stays unauthorized
// and the one re-authentication still happens.
func TestAPIAccessPolicy401IsNotAWrongPassword(t *testing.T) {
	const policyHint = "the credentials are valid (the OAuth token grant succeeded) but the Table API refused the token: a REST API access policy"
	for _, grant := range []string{"password", "client_credentials"} {
		t.Run("oauth/"+grant, func(t *testing.T) {
			e := newEnv(t, snowsim.Options{}, oauthOpts, func(o *Options) {
				if grant == "client_credentials" {
					o.Username, o.Password = "", ""
				}
			})
			if err := e.sim.SetAPIAccessPolicy(snowsim.APIAccessPolicy{Refuse: []snowsim.AuthMethod{snowsim.AuthOAuth}}); err != nil {
				t.Fatal(err)
			}
			_, err := e.c.Changes(t.Context(), ChangeQuery{})
			if ClassOf(err) != httpx.Unauthorized || !strings.Contains(err.Error(), policyHint) ||
				!strings.Contains(err.Error(), "REST API Access Policies") || strings.Contains(err.Error(), "check the OAuth client id and secret") {
				t.Fatalf("err = %v", err)
			}
			if !AccessPolicyDenied(err) {
				t.Fatalf("AccessPolicyDenied(%v) = false", err)
			}
			if tokens, lists := countEndpoint(e, "POST", "/oauth_token.do"), e.sim.Count("GET", "/api/now/table/incident"); tokens != 2 || lists != 2 {
				t.Fatalf("%d token and %d list requests, want 2 and 2 (one re-authentication)", tokens, lists)
			}
			if err := e.sim.SetAPIAccessPolicy(snowsim.APIAccessPolicy{}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.c.Changes(t.Context(), ChangeQuery{}); err != nil {
				t.Fatalf("after the policy was lifted: %v", err)
			}
		})
	}

	t.Run("basic", func(t *testing.T) {
		e := newEnv(t, snowsim.Options{})
		if err := e.sim.SetAPIAccessPolicy(snowsim.APIAccessPolicy{Refuse: []snowsim.AuthMethod{snowsim.AuthBasic}, Tables: []string{"incident"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.CurrentUser(t.Context()); err != nil {
			t.Fatal(err)
		}
		_, err := e.c.Changes(t.Context(), ChangeQuery{})
		if ClassOf(err) != httpx.Unauthorized || !strings.Contains(err.Error(), "the credentials worked on an earlier call") ||
			!strings.Contains(err.Error(), "REST API Access Policies") || strings.Contains(err.Error(), "Password needs reset") {
			t.Fatalf("err = %v", err)
		}
		if n := e.sim.Count("GET", "/api/now/table/incident"); n != 1 || !AccessPolicyDenied(err) {
			t.Fatalf("basic 401 retried (%d list requests) or not an access policy", n)
		}
	})

	// With nothing that worked before, a policy 401 cannot be told from a
	// wrong password: the credentials hint, which mentions neither.
	t.Run("basic, first call", func(t *testing.T) {
		e := newEnv(t, snowsim.Options{})
		if err := e.sim.SetAPIAccessPolicy(snowsim.APIAccessPolicy{Refuse: []snowsim.AuthMethod{snowsim.AuthBasic}}); err != nil {
			t.Fatal(err)
		}
		_, err := e.c.Changes(t.Context(), ChangeQuery{})
		if ClassOf(err) != httpx.Unauthorized || !strings.Contains(err.Error(), "Password needs reset") || AccessPolicyDenied(err) {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("wrong password, wrong secret", func(t *testing.T) {
		e := newEnv(t, snowsim.Options{}, func(o *Options) { o.Password = "wrong" })
		if _, err := e.c.CurrentUser(t.Context()); ClassOf(err) != httpx.Unauthorized ||
			!strings.Contains(err.Error(), "Password needs reset") || strings.Contains(err.Error(), "access policy") {
			t.Fatalf("wrong password: %v", err)
		}
		e = newEnv(t, snowsim.Options{}, oauthOpts, func(o *Options) { o.ClientSecret = "nope" })
		if _, err := e.c.CurrentUser(t.Context()); ClassOf(err) != httpx.Unauthorized ||
			!strings.Contains(err.Error(), "check the OAuth client id and secret") || strings.Contains(err.Error(), "access policy") {
			t.Fatalf("wrong secret: %v", err)
		}
	})
}
