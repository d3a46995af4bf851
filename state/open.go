package state

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Store is the Redis-backed state of one integration. It is safe for
// concurrent use.
type Store struct {
	rdb redis.UniversalClient
	// serverTime: lease deadlines use Redis's clock (Options.Clock unset).
	serverTime bool
	o          Options
	log        *slog.Logger
	tag        string // "{prefix}"
	addr       string // for error messages; never holds a secret
}

// Open connects to Redis, checks that it answers and that the password is
// accepted, loads the Lua scripts, checks that no key under the prefix has
// a foreign type, records the key layout version (unless ReadOnly) and
// refuses state of another layout. The returned Store must be closed.
func Open(ctx context.Context, o Options) (*Store, error) {
	serverTime := o.Clock == nil
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	rdb, addr, err := newClient(o)
	if err != nil {
		return nil, err
	}
	s := &Store{
		rdb:        rdb,
		serverTime: serverTime,
		o:          o,
		log:        o.Logger.With(logKeyComponent, "state", logKeyPrefix, o.Prefix),
		tag:        "{" + o.Prefix + "}",
		addr:       addr,
	}
	if o.ReadOnly {
		rdb.AddHook(newReadOnlyHook())
	}
	if err := s.start(ctx); err != nil {
		_ = rdb.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) start(ctx context.Context) error {
	if err := s.Ping(ctx); err != nil {
		return err
	}
	for _, sc := range allScripts {
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			return s.wrap("load lua scripts", err)
		}
	}
	if err := s.checkTypes(ctx); err != nil {
		return err
	}
	return s.checkLayout(ctx)
}

// Ping checks that Redis answers, with an error that says what to fix.
func (s *Store) Ping(ctx context.Context) error {
	err := s.rdb.Ping(ctx).Err()
	if err == nil {
		return nil
	}
	msg := err.Error()
	var netErr net.Error
	switch {
	case strings.Contains(msg, "WRONGPASS") || strings.Contains(msg, "NOAUTH") || strings.Contains(msg, "invalid password") || strings.Contains(msg, "invalid username-password"):
		return fmt.Errorf("authenticate to redis at %s: the username or password was refused; check the Redis password (and username): %w", s.addr, err)
	case strings.Contains(msg, "x509:") || strings.Contains(msg, "tls:"):
		return fmt.Errorf("connect to redis at %s: TLS handshake failed; check the CA bundle (CAFile) and the host name in the certificate: %w", s.addr, err)
	case errors.As(err, &netErr), strings.Contains(msg, "connection refused"), strings.Contains(msg, "no such host"), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("connect to redis at %s: unreachable; check the Redis address and that Redis is running and reachable from here: %w", s.addr, err)
	}
	return fmt.Errorf("ping redis at %s: %w", s.addr, err)
}

// Close releases the connections.
func (s *Store) Close() error {
	if err := s.rdb.Close(); err != nil {
		return fmt.Errorf("close redis client: %w", err)
	}
	return nil
}

// checkTypesScript returns {key, found, want} for the first key of ours
// whose type is foreign, or an empty array. KEYS fixed keys; ARGV tag, then
// the wanted type of each fixed key.
var checkTypesScript = redis.NewScript(`
for i, k in ipairs(KEYS) do
  local got = redis.call('TYPE', k).ok
  if got ~= 'none' and got ~= ARGV[i+1] then return {k, got, ARGV[i+1]} end
end
for _, fam in ipairs({'l:', 'r:', 's:', 'a:'}) do
  for b = 0, 4095 do
    local k = ARGV[1] .. fam .. string.format('%03x', b)
    local got = redis.call('TYPE', k).ok
    if got ~= 'none' and got ~= 'hash' then return {k, got, 'hash'} end
  end
end
return {}
`)

// checkTypes fails when any of our keys exists with a type we never write,
// which means another program uses the same prefix. One round trip.
func (s *Store) checkTypes(ctx context.Context) error {
	keys := make([]string, 0, len(fixedTypes))
	args := []any{s.tag}
	for _, f := range fixedTypes {
		keys = append(keys, s.key(f.name))
		args = append(args, f.typ)
	}
	bad, err := checkTypesScript.Run(ctx, s.rdb, keys, args...).StringSlice()
	if err != nil {
		return s.wrap("check key types", err)
	}
	if len(bad) == 3 {
		return fmt.Errorf("check key types: key %s is a %s, snowduty stores a %s there; another program uses the prefix %q: choose another state prefix or remove the key", bad[0], bad[1], bad[2], s.o.Prefix)
	}
	return nil
}

// checkLayout records the key layout version on first use and refuses
// state written with another layout.
func (s *Store) checkLayout(ctx context.Context) error {
	k := s.key(keyMeta)
	if !s.o.ReadOnly {
		if err := s.rdb.HSetNX(ctx, k, "layout", layoutVersion).Err(); err != nil {
			return s.wrap("record key layout", err)
		}
	}
	got, err := s.rdb.HGet(ctx, k, "layout").Result()
	if errors.Is(err, redis.Nil) && s.o.ReadOnly {
		return nil // nothing recorded yet, and a read-only store records nothing
	}
	if err != nil {
		return s.wrap("read key layout", err)
	}
	if got != layoutVersion {
		return fmt.Errorf("read key layout: state under prefix %q uses key layout %q, this snowduty understands %q; use a matching snowduty version or a new prefix", s.o.Prefix, got, layoutVersion)
	}
	return nil
}

// newClient builds the go-redis client for the selected mode, and a
// description of where it points that holds no secret.
func newClient(o Options) (redis.UniversalClient, string, error) {
	var tlsConf *tls.Config
	if o.TLS || o.CAFile != "" {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if o.CAFile != "" {
		pool, err := loadCAs(o.CAFile)
		if err != nil {
			return nil, "", err
		}
		tlsConf.RootCAs = pool
	}
	switch {
	case o.URL != "":
		ro, err := parseURL(o.URL)
		if err != nil {
			return nil, "", err
		}
		if o.Username != "" {
			ro.Username = o.Username
		}
		if o.Password != "" {
			ro.Password = o.Password
		}
		if tlsConf != nil {
			if ro.TLSConfig != nil {
				tlsConf.ServerName = ro.TLSConfig.ServerName
			} else {
				host, _, _ := net.SplitHostPort(ro.Addr)
				tlsConf.ServerName = host
			}
			ro.TLSConfig = tlsConf
		}
		ro.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
		return redis.NewClient(ro), ro.Addr, nil
	case o.SentinelMaster != "":
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:       o.SentinelMaster,
			SentinelAddrs:    o.SentinelAddrs,
			Username:         o.Username,
			Password:         o.Password,
			SentinelUsername: o.Username,
			SentinelPassword: o.Password,
			TLSConfig:        tlsConf,
		}), fmt.Sprintf("sentinel master %q via %s", o.SentinelMaster, strings.Join(o.SentinelAddrs, ",")), nil
	default:
		cc := redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:                    o.ClusterAddrs,
			Username:                 o.Username,
			Password:                 o.Password,
			TLSConfig:                tlsConf,
			MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		})
		cc.AddHook(migrationRetry{})
		return cc, "cluster " + strings.Join(o.ClusterAddrs, ","), nil
	}
}

// parseURL parses a redis:// or rediss:// URL without ever echoing it: it
// may hold a password.
func parseURL(raw string) (*redis.Options, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("parse redis URL: it is not a valid URL (the URL is not shown because it may hold a password); use redis://[user:password@]host:6379/0 or rediss://... for TLS")
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("parse redis URL: scheme %q is not supported; use redis:// or rediss:// (TLS)", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("parse redis URL: host is missing; use redis://host:6379/0")
	}
	ro, err := redis.ParseURL(raw)
	if err != nil {
		pw, _ := u.User.Password()
		return nil, fmt.Errorf("parse redis URL: %s", redact(err.Error(), pw))
	}
	return ro, nil
}

// redact replaces every occurrence of secret in s.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	s = strings.ReplaceAll(s, secret, "[REDACTED]")
	return strings.ReplaceAll(s, url.QueryEscape(secret), "[REDACTED]")
}

func loadCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read redis CA bundle %s: %w", path, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("read redis CA bundle %s: no PEM certificate found in it", path)
	}
	return pool, nil
}

// now is the injected clock.
func (s *Store) now() time.Time { return s.o.Clock() }
