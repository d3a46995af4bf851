// Package snowsim is an in-memory simulator of the ServiceNow REST Table API
// subset snowduty uses (reference/servicenow-table-api.md, §8 is its
// checklist), including the unpleasant parts: string-typed values, second
// precision timestamps in UTC, display values in the user's time zone and
// date format, an encoded-query language that silently ignores unknown
// columns, limits applied before row ACLs, v1's 404 on an empty list, data
// policy 403s, priority derived from impact × urgency, journal fields that
// read back as "", Basic and OAuth authentication with the real 401 bodies,
// and injectable faults (429 with headers, 5xx, hibernation pages, partial
// results on HTTP 200, 202 with no body, slow answers).
//
// A *Server is an http.Handler. Tests and the demo drive it through its Go
// methods (act as a human user, hide rows from the integration user, move
// the clock, inject faults, count calls) or through the same control API
// over HTTP under /_sim/. It is deterministic (seeded ids, injectable clock)
// and safe for concurrent use.
package snowsim

import (
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	_ "time/tzdata" // user time zones must resolve on minimal images

	"github.com/snowduty/snowduty/clients/internal/simkit"
)

// Defaults of Options.
const (
	DefaultUser         = "snowduty"
	DefaultPassword     = "snowsim-password"
	DefaultClientID     = "snowsim-client-id"
	DefaultClientSecret = "snowsim-client-secret"
	// Alice and Bob are human users the control API can act as; System is
	// the user background jobs (auto-close) run as.
	Alice  = "alice"
	Bob    = "bob"
	System = "system"
	// ServiceDeskGroup is the sys_id of the one assignment group.
	ServiceDeskGroup = "287ebd7da9fe198100f92cc8d1d2154e"
)

// DefaultMaxURLLength is Options.MaxURLLength when unset: far above the
// 2,048 characters snowduty (like real clients) keeps every URL under.
const DefaultMaxURLLength = 8192

// ControlPrefix is where the control API lives; the Table API never uses it.
const ControlPrefix = "/_sim/"

// internalLayout is ServiceNow's internal date-time format (always UTC).
const internalLayout = "2006-01-02 15:04:05"

// User is a sys_user row the simulator knows.
type User struct {
	SysID    string `json:"sys_id"`
	UserName string `json:"user_name"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	// Password enables Basic and OAuth password-grant logins; empty means
	// the user cannot log in through the API (humans act via the control API).
	Password string `json:"-"`
	// TimeZone is an IANA zone name; empty means UTC.
	TimeZone string `json:"time_zone"`
	// DateFormat is a ServiceNow date format such as yyyy-MM-dd,
	// MM-dd-yyyy, dd/MM/yyyy or dd.MM.yyyy; empty means yyyy-MM-dd.
	DateFormat string `json:"date_format"`
	// Admin users may edit closed incidents.
	Admin bool `json:"admin"`
}

// DefaultUsers are the users of a Server created without any: the
// integration user (in US Pacific time with a month-first date format, to
// catch clients that parse display values), Alice, Bob and system.
func DefaultUsers() []User {
	return []User{
		{SysID: "6816f79cc0a8016401c5a33be04be441", UserName: DefaultUser, Name: "Snowduty Integration", Email: "snowduty@example.com", Password: DefaultPassword, TimeZone: "America/Los_Angeles", DateFormat: "MM-dd-yyyy"},
		{SysID: "5137153cc611227c000bbd1bd8cd2005", UserName: Alice, Name: "Alice Example", Email: "alice@example.com", TimeZone: "Europe/Berlin", DateFormat: "dd.MM.yyyy"},
		{SysID: "5137153cc611227c000bbd1bd8cd2006", UserName: Bob, Name: "Bob Example", Email: "bob@example.com"},
		{SysID: "5137153cc611227c000bbd1bd8cd2007", UserName: System, Name: "System", Admin: true},
	}
}

// Options configures a Server. The zero value is usable.
type Options struct {
	// Users are the sys_user rows; nil means DefaultUsers.
	Users []User
	// IntegrationUser is the user_name OAuth client-credentials tokens act
	// as; empty means DefaultUser.
	IntegrationUser string
	// ClientID and ClientSecret are the OAuth application's credentials;
	// empty means DefaultClientID and DefaultClientSecret.
	ClientID     string
	ClientSecret string
	// Seed makes sys_ids and tokens reproducible.
	Seed uint64
	// Start freezes the clock at this time. Zero means the clock follows
	// Now (live), still movable with Advance and SetClock.
	Start time.Time
	// Now is the live clock; nil means time.Now.
	Now func() time.Time
	// AutoCloseAfter closes Resolved incidents (as user system) this long
	// after they were resolved, like the incident autoclose job. Zero
	// disables it.
	AutoCloseAfter time.Duration
	// InvalidQueryReturnsNoRows mimics glide.invalid_query.returns_no_rows:
	// a query with an unknown column returns nothing instead of ignoring it.
	InvalidQueryReturnsNoRows bool
	// MaxURLLength is the longest request URL (path and query) the
	// simulated web tier accepts; a longer one is answered 414 with an HTML
	// page, never Table-API JSON. Real limits are unpublished; zero means
	// DefaultMaxURLLength, negative means no limit.
	MaxURLLength int
	// CustomColumns are extra string columns on incident (u_ fields).
	CustomColumns []Column
	// Logger receives one debug line per request; nil discards.
	Logger *slog.Logger
}

// Server is the simulator. Create it with New.
type Server struct {
	opts Options
	log  *slog.Logger

	kit *simkit.Kit[Fault]

	mu           sync.Mutex
	rng          *rand.Rand
	seq          uint64
	number       int
	tables       map[string]*table
	users        map[string]*User // by user_name
	usersByID    map[string]*User
	tokens       map[string]token // access token → grant
	refresh      map[string]token // refresh token → grant
	hiddenFields map[string]bool  // "table.column" hidden by field ACL
	deniedTables map[string]TableDenial
	resolved     map[string]bool      // incidents waiting for auto-close
	journalBy    map[string][]*record // incident sys_id → journal rows, oldest first
}

// New returns a Server with the given options.
func New(o Options) *Server {
	if o.Users == nil {
		o.Users = DefaultUsers()
	}
	if o.IntegrationUser == "" {
		o.IntegrationUser = DefaultUser
	}
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = DefaultClientSecret
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{opts: o, log: o.Logger, kit: simkit.NewKit[Fault](o.Now, o.Start, maxRequestLog)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.reset()
	return s
}

// reset restores the state New built. The caller holds s.mu (or owns s).
func (s *Server) reset() {
	o := s.opts
	s.rng = rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed5eed))
	s.kit.Reset()
	s.seq, s.number = 0, 10000
	s.tokens, s.refresh = map[string]token{}, map[string]token{}
	s.hiddenFields, s.resolved = map[string]bool{}, map[string]bool{}
	s.deniedTables = map[string]TableDenial{}
	s.journalBy = map[string][]*record{}
	s.users, s.usersByID = map[string]*User{}, map[string]*User{}
	s.tables = map[string]*table{
		"incident":          newTable("incident", incidentColumns(o.CustomColumns), "sys_updated_on"),
		"sys_journal_field": newTable("sys_journal_field", journalColumns(), "sys_created_on"),
		"sys_user":          newTable("sys_user", userColumns(), "sys_updated_on"),
		"sys_user_group":    newTable("sys_user_group", groupColumns(), "sys_updated_on"),
		"sys_dictionary":    newTable("sys_dictionary", dictionaryColumns(), "sys_updated_on"),
		"sys_choice":        newTable("sys_choice", choiceColumns(), "sys_updated_on"),
	}
	s.seedReferenceData()
}

// now is the simulated time, truncated to seconds as ServiceNow stores it.
// The caller holds s.mu.
func (s *Server) now() time.Time {
	return s.kit.Clock.Now().UTC().Truncate(time.Second)
}

func (s *Server) stamp() string { return s.now().Format(internalLayout) }

// newSysID returns a seeded 32-hex-digit id. The caller holds s.mu.
func (s *Server) newSysID() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 32)
	for i := range b {
		b[i] = hex[s.rng.IntN(16)]
	}
	return string(b)
}

// ServeHTTP routes the control API, the OAuth token endpoint and the Table
// API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, ControlPrefix) {
		s.kit.ServeControl(w, r, s.controlMux)
		return
	}
	if acceptsGzip(r) && r.Method != http.MethodHead {
		gw := &gzipWriter{ResponseWriter: w}
		status := s.kit.Calls.Serve(gw, r, endpointOf(r.URL.Path), http.HandlerFunc(s.serveAPI))
		gw.finish() // not deferred: a handler that hangs up sends nothing more
		s.log.Debug("snowsim request", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", status))
		return
	}
	status := s.kit.Calls.Serve(w, r, endpointOf(r.URL.Path), http.HandlerFunc(s.serveAPI))
	s.log.Debug("snowsim request", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", status))
}

// Transport returns an http.RoundTripper that serves requests from s in
// process, without a socket. With it, a client under testing/synctest sees
// the fake clock for timeouts, backoff and slow faults.
func (s *Server) Transport() http.RoundTripper { return simkit.Transport(s) }

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if s.urlTooLong(r) {
		writeURITooLong(w)
		return
	}
	s.mu.Lock()
	w.Header().Set("Date", s.now().Format(http.TimeFormat))
	w.Header().Set("Server", "ServiceNow")
	w.Header().Set("Server-Timing", "sem_wait;dur=0, sesh_wait;dur=0")
	s.mu.Unlock()
	partial := false
	if f, ok := s.kit.Faults.Take(r.Method, r.URL.Path); ok {
		var handled bool
		if handled, partial = s.applyFault(w, r, &f); handled {
			return
		}
	}
	switch {
	case r.URL.Path == "/oauth_token.do":
		s.serveToken(w, r)
	case strings.HasPrefix(r.URL.Path, "/api/now/"):
		s.serveTable(w, r, partial)
	default:
		writeError(w, http.StatusBadRequest, "Requested URI does not represent any resource", "")
	}
}

// endpointOf turns a request path into a low-cardinality name: a sys_id
// after the table name becomes {sys_id}.
func endpointOf(p string) string {
	const marker = "/table/"
	i := strings.Index(p, marker)
	if i < 0 {
		return p
	}
	if t, _, ok := strings.Cut(p[i+len(marker):], "/"); ok {
		return p[:i+len(marker)] + t + "/{sys_id}"
	}
	return p
}
