package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
)

// runSimServiceNow serves the ServiceNow simulator until ctx is cancelled.
func runSimServiceNow(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("snowduty sim servicenow", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8081", "address to listen on")
	password := fs.String("password", snowsim.DefaultPassword, "the integration user's password")
	clientSecret := fs.String("client-secret", snowsim.DefaultClientSecret, "the OAuth client secret")
	seed := fs.Uint64("seed", 1, "seed for sys_ids and tokens")
	start := fs.String("start", "", `freeze the clock at this UTC time ("2026-01-02 15:04:05"); empty follows the real clock`)
	autoClose := fs.Duration("auto-close", 0, "close Resolved incidents this long after resolution (0 disables)")
	custom := fs.String("custom-columns", "", "comma-separated extra incident columns (u_...)")
	strict := fs.Bool("invalid-query-returns-no-rows", false, "answer queries on unknown columns with no rows instead of ignoring the column")
	incidents := fs.Int("incidents", 0, "create this many sample incidents (as alice) at start-up")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "snowduty sim servicenow: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *password == "" || *clientSecret == "" || *incidents < 0 || *autoClose < 0 {
		fmt.Fprintln(stderr, "snowduty sim servicenow: --password and --client-secret must not be empty; --incidents and --auto-close must not be negative")
		return exitUsage
	}
	o := snowsim.Options{Seed: *seed, ClientSecret: *clientSecret, AutoCloseAfter: *autoClose, InvalidQueryReturnsNoRows: *strict}
	if *start != "" {
		t, err := time.Parse("2006-01-02 15:04:05", *start)
		if err != nil {
			fmt.Fprintf(stderr, "snowduty sim servicenow: --start %q: write it as \"2026-01-02 15:04:05\" (UTC)\n", *start)
			return exitUsage
		}
		o.Start = t
	}
	for _, name := range strings.Split(*custom, ",") {
		if name = strings.TrimSpace(name); name != "" {
			o.CustomColumns = append(o.CustomColumns, snowsim.Column{Name: name})
		}
	}
	o.Users = snowsim.DefaultUsers()
	for i := range o.Users {
		if o.Users[i].UserName == snowsim.DefaultUser {
			o.Users[i].Password = *password
		}
	}
	sim := snowsim.New(o)
	for i := range *incidents {
		if _, err := sim.CreateIncident(snowsim.Alice, map[string]string{
			"short_description": fmt.Sprintf("Sample incident %d: checkout latency high on web-%02d", i+1, i+1),
			"impact":            []string{"1", "2", "3"}[i%3],
			"urgency":           []string{"1", "2", "3"}[i%3],
		}); err != nil {
			fmt.Fprintf(stderr, "snowduty sim servicenow: create sample incident: %v\n", err)
			return exitFailed
		}
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "snowduty sim servicenow: listen on %s: %v\n", *listen, err)
		return exitFailed
	}
	base := "http://" + ln.Addr().String()
	cr := sim.Credentials()
	fmt.Fprintf(stdout, "ServiceNow simulator listening\n  Table API:   %s/api/now/table/incident\n  control API: %s%s\n  Basic auth:  %s / %s\n  OAuth:       %s/oauth_token.do  client_id %s, client_secret %s\n  human users: %s, %s (act as them through the control API)\n",
		base, base, snowsim.ControlPrefix, cr.User, cr.Password, base, cr.ClientID, cr.ClientSecret, snowsim.Alice, snowsim.Bob)

	return serveUntilDone(ctx, ln, sim, stderr, "snowduty sim servicenow")
}
