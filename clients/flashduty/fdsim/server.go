// Package fdsim is an in-memory simulator of the Flashduty Open API subset
// snowduty uses (reference/flashduty-open-api.md), including its unpleasant
// parts: required 31-day start-time windows, cursor paging, total capped at
// 1000, envelopes on every answer (errors even on HTTP 200), ResourceNotFound
// as HTTP 400, length limits, state rules, millisecond feed times, and
// comments that do not bump updated_at.
//
// A *Server is an http.Handler. Tests and the demo drive it through its Go
// methods (act as a human member, move the clock, inject faults, count
// calls) or through the same control API over HTTP under /_sim/. It is
// deterministic (seeded ids, injectable clock) and safe for concurrent use.
package fdsim

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/snowduty/snowduty/clients/internal/simkit"
)

// Defaults of Options.
const (
	DefaultAppKey    = "fdsim-app-key"
	DefaultAccountID = int64(2451002751131)
	// DefaultKeyMemberID is the member that owns the default app key: the
	// sync's own identity. Its writes carry this creator_id.
	DefaultKeyMemberID = int64(4000000000131)
	// DefaultKeyUser is the user name control methods act as the key's
	// member by (as snowsim.DefaultUser names the integration user).
	DefaultKeyUser = "snowduty"
	// Alice and Bob are the user names of the human members the control
	// API can act as, the same as snowsim's; AliceID and BobID are their
	// member ids (the creator_id of what they do).
	Alice   = "alice"
	Bob     = "bob"
	AliceID = int64(2476444212131)
	BobID   = int64(3790925372131)
	// The default channels.
	OpsChannelID  = int64(2551105804131)
	ProdChannelID = int64(1001)
)

// ControlPrefix is where the control API lives; the Open API never uses it.
const ControlPrefix = "/_sim/"

// Options configures a Server. The zero value is usable.
type Options struct {
	// AppKey is the member-level key accepted (owned by KeyMember); empty
	// means DefaultAppKey.
	AppKey string
	// AccountKey, if set, is also accepted: an account-level app key,
	// which acts as the account principal (see MintAccountKey). Empty
	// means none until one is minted. Equal to AppKey, it makes that key
	// account-level.
	AccountKey string
	// KeyMember owns AppKey. Zero means {DefaultKeyMemberID, "snowduty
	// sync"}; an empty UserName means DefaultKeyUser.
	KeyMember Member
	// Members are the human members the control API may act as; nil means
	// Alice and Bob.
	Members []Member
	// AccountID and AccountName identify the simulated account.
	AccountID   int64
	AccountName string
	// Channels, Teams and Fields; nil means a default set (see
	// DefaultChannels, DefaultTeams, DefaultFields).
	Channels []Channel
	Teams    []Team
	Fields   []Field
	// Seed makes ids and request ids reproducible.
	Seed uint64
	// Start freezes the clock at this time. Zero means the clock follows
	// Now (live), still movable with Advance.
	Start time.Time
	// Now is the live clock; nil means time.Now.
	Now func() time.Time
	// CommentsBumpUpdatedAt makes comments change updated_at. The real
	// behaviour is unknown (reference §13.1); the default, false, is the
	// harder case for a poller.
	CommentsBumpUpdatedAt bool
	// RateLimit enforces 50 requests/s and 1,000/min per account with real
	// 429 answers, measured on the real (or synctest) clock.
	RateLimit bool
	// InfoUnknownAsNull makes /incident/info answer an unknown id with
	// data: null instead of ResourceNotFound (both are possible, §5).
	InfoUnknownAsNull bool
	// ConsoleURL is the prefix of detail_url; empty means
	// https://app.flashcat.cloud.
	ConsoleURL string
}

// DefaultChannels are the channels of a Server created without any.
func DefaultChannels() []Channel {
	return []Channel{
		{ChannelID: OpsChannelID, ChannelName: "Ops Channel", Status: "enabled", TeamID: 10},
		{ChannelID: ProdChannelID, ChannelName: "Production Alerts", Status: "enabled", TeamID: 10},
	}
}

// DefaultTeams are the teams of a Server created without any: the team of
// the default channels.
func DefaultTeams() []Team {
	return []Team{{TeamID: 10, TeamName: "Ops Team"}}
}

// DefaultFields are the custom fields of a Server created without any: one
// of each type.
func DefaultFields() []Field {
	return []Field{
		{FieldID: "6a0000000000000000000001", FieldName: "affected_service", DisplayName: "Affected service", FieldType: "text", ValueType: "string", Status: "enabled"},
		{FieldID: "6a0000000000000000000002", FieldName: "environment", DisplayName: "Environment", FieldType: "single_select", ValueType: "string", Options: []string{"production", "staging"}, Status: "enabled"},
		{FieldID: "6a0000000000000000000003", FieldName: "tags", DisplayName: "Tags", FieldType: "multi_select", ValueType: "string", Options: []string{"db", "network", "app"}, Status: "enabled"},
		{FieldID: "6a0000000000000000000004", FieldName: "sync_to_servicenow", DisplayName: "Sync to ServiceNow", FieldType: "checkbox", ValueType: "bool", DefaultValue: false, Status: "enabled"},
	}
}

// Server is the simulator. Create it with New.
type Server struct {
	opts Options

	kit *simkit.Kit[Fault]

	mu          sync.Mutex
	rng         *rand.Rand
	idCounter   uint32
	bumpComment bool
	rateLimit   bool
	incidents   map[string]*incident
	byStart     []*incident // ordered by (StartTime, IncidentID)
	members     map[int64]Member
	channels    []Channel
	teams       []Team
	fields      []Field
	audit       []AuditDoc
	window      []time.Time // request times for the rate limit, oldest first
	keys        map[string]principal
	minted      int // account keys minted since the last reset
}

// principal is who an app key acts as: a member, or the account principal
// (an account-level key), whose person id is the account id.
type principal struct {
	id      int64
	account bool
}

type incident struct {
	Incident
	feed    []FeedItem
	expired bool   // the current snooze has already run out
	alertID string // the incident's one alert; empty: it has none
}

// New returns a Server with the given options.
func New(o Options) *Server {
	if o.AppKey == "" {
		o.AppKey = DefaultAppKey
	}
	if o.KeyMember.MemberID == 0 {
		o.KeyMember = Member{MemberID: DefaultKeyMemberID, Name: "snowduty sync", Email: "snowduty@example.com"}
	}
	if o.KeyMember.UserName == "" {
		o.KeyMember.UserName = DefaultKeyUser
	}
	if o.Members == nil {
		o.Members = []Member{
			{MemberID: AliceID, UserName: Alice, Name: "Alice", Email: "alice@example.com"},
			{MemberID: BobID, UserName: Bob, Name: "Bob", Email: "bob@example.com"},
		}
	}
	if o.AccountID == 0 {
		o.AccountID = DefaultAccountID
	}
	if o.AccountName == "" {
		o.AccountName = "Acme Corp"
	}
	if o.Channels == nil {
		o.Channels = DefaultChannels()
	}
	if o.Fields == nil {
		o.Fields = DefaultFields()
	}
	if o.Teams == nil {
		o.Teams = DefaultTeams()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ConsoleURL == "" {
		o.ConsoleURL = "https://app.flashcat.cloud"
	}
	o.ConsoleURL = strings.TrimRight(o.ConsoleURL, "/")
	s := &Server{opts: o, kit: simkit.NewKit[Fault](o.Now, o.Start, maxRequestLog)}
	s.reset()
	return s
}

// reset restores the state New built. The caller holds s.mu (or owns s).
func (s *Server) reset() {
	o := s.opts
	s.rng = rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed))
	s.idCounter = s.rng.Uint32() & 0xffffff
	s.kit.Reset()
	s.bumpComment, s.rateLimit = o.CommentsBumpUpdatedAt, o.RateLimit
	s.incidents = map[string]*incident{}
	s.byStart = nil
	s.members = map[int64]Member{o.KeyMember.MemberID: o.KeyMember}
	for _, m := range o.Members {
		s.members[m.MemberID] = m
	}
	// The account principal is a person too (/person/infos answers it
	// "as": "account"); it acts through an account-level key.
	s.members[o.AccountID] = Member{MemberID: o.AccountID, Name: o.AccountName, Email: accountEmail}
	s.keys = map[string]principal{o.AppKey: {id: o.KeyMember.MemberID}}
	if o.AccountKey != "" {
		s.keys[o.AccountKey] = principal{id: o.AccountID, account: true}
	}
	s.minted = 0
	s.channels = slices.Clone(o.Channels)
	s.teams = slices.Clone(o.Teams)
	s.fields = slices.Clone(o.Fields)
	s.audit = nil
	s.window = nil
}

// AppKey returns the member-level app key the server accepts (owned by
// KeyMember).
func (s *Server) AppKey() string { return s.opts.AppKey }

// AccountID returns the id of the simulated account: the person id the
// account principal (an account-level key) acts with.
func (s *Server) AccountID() int64 { return s.opts.AccountID }

// KeyMember returns the member that owns the app key.
func (s *Server) KeyMember() Member { return s.opts.KeyMember }

// now is the simulated time.
func (s *Server) now() time.Time { return s.kit.Clock.Now() }

// Now returns the simulated time.
func (s *Server) Now() time.Time { return s.kit.Clock.Now() }

// SetClock freezes the simulated clock at t.
func (s *Server) SetClock(t time.Time) { s.kit.Clock.Set(t) }

// Advance moves the simulated clock forward by d (frozen or live) and
// returns the new time.
func (s *Server) Advance(d time.Duration) time.Time { return s.kit.Clock.Advance(d) }

// newID returns a 24-hex ObjectID: 4 bytes of seconds, 5 seeded random
// bytes, a 3-byte counter (so num, its last 6 hex digits, is unique until the
// counter wraps). The caller holds s.mu.
func (s *Server) newID(at time.Time) string {
	s.idCounter = (s.idCounter + 1) & 0xffffff
	return fmt.Sprintf("%08x%010x%06x", uint32(at.Unix()), s.rng.Uint64()&0xffffffffff, s.idCounter)
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newRequestID returns a ULID-shaped request id. The caller holds s.mu.
func (s *Server) newRequestID() string {
	var b [26]byte
	for i := range b {
		b[i] = crockford[s.rng.IntN(len(crockford))]
	}
	return string(b[:])
}

// insert adds inc to the maps and the start-time index. The caller holds s.mu.
func (s *Server) insert(inc *incident) {
	s.incidents[inc.IncidentID] = inc
	i := sort.Search(len(s.byStart), func(i int) bool { return !less(s.byStart[i], inc) })
	s.byStart = slices.Insert(s.byStart, i, inc)
}

// remove deletes inc from the maps and the start-time index. The caller
// holds s.mu.
func (s *Server) remove(inc *incident) {
	if s.incidents[inc.IncidentID] != inc {
		return
	}
	delete(s.incidents, inc.IncidentID)
	i := sort.Search(len(s.byStart), func(i int) bool { return !less(s.byStart[i], inc) })
	if i < len(s.byStart) && s.byStart[i] == inc {
		s.byStart = slices.Delete(s.byStart, i, i+1)
	}
}

func less(a, b *incident) bool {
	if a.StartTime != b.StartTime {
		return a.StartTime < b.StartTime
	}
	return a.IncidentID < b.IncidentID
}

// ServeHTTP serves the Open API and, under ControlPrefix, the control API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, ControlPrefix) {
		s.kit.ServeControl(w, r, s.controlMux)
		return
	}
	s.kit.Calls.Serve(w, r, r.URL.Path, http.HandlerFunc(s.serveAPI))
}

// Transport returns an http.RoundTripper that serves requests in-process,
// without a socket, so tests can run a client against the simulator inside
// a testing/synctest bubble. A Hangup fault becomes a transport error
// (ErrHangup), as a dropped connection would.
func (s *Server) Transport() http.RoundTripper { return simkit.Transport(s) }

// ErrHangup is the transport error an in-process Hangup fault produces.
var ErrHangup = simkit.ErrHangup
