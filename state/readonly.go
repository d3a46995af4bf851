package state

import (
	"context"
	"crypto/sha1" //nolint:gosec // Redis names scripts by their SHA-1
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrReadOnly is the error of a write made through a Store opened with
// Options.ReadOnly (a dry run): the command never reaches Redis.
var ErrReadOnly = errors.New("the state store is read-only (dry run): the write was refused")

// ReadOnly reports whether the store refuses writes (Options.ReadOnly).
func (s *Store) ReadOnly() bool { return s.o.ReadOnly }

// readCommands are the Redis commands a read-only Store may send: reads,
// and what a connection and go-redis need (handshake, script cache,
// cluster and sentinel discovery).
var readCommands = map[string]bool{
	"get": true, "mget": true, "exists": true, "type": true, "ttl": true, "pttl": true, "strlen": true,
	"hget": true, "hmget": true, "hgetall": true, "hlen": true, "hexists": true, "hkeys": true, "hvals": true, "hscan": true,
	"zrange": true, "zrangebyscore": true, "zrevrange": true, "zrevrangebyscore": true, "zscore": true, "zmscore": true,
	"zcard": true, "zcount": true, "zrank": true, "zscan": true,
	"smembers": true, "sismember": true, "scard": true, "sscan": true, "llen": true, "lrange": true,
	"xrange": true, "xrevrange": true, "xlen": true, "scan": true, "dbsize": true,
	"ping": true, "echo": true, "time": true, "info": true, "hello": true, "auth": true, "select": true, "client": true,
	"readonly": true, "cluster": true, "command": true, "sentinel": true, "script": true,
}

// readOnlyScripts are the scripts a read-only Store may run: they only
// read, except scanActiveScript in feed mode (it saves the round-robin
// pointer), which NextFeedBatch refuses on a read-only Store.
var readOnlyScripts = []*redis.Script{scanActiveScript, linksScript, dueScript, countScript, leaderScript, checkTypesScript}

// readOnlyHook refuses, before it is sent, every command that could write:
// a dry run then writes nothing by construction, and a code path that
// tries fails loudly instead of changing the real daemon's state.
type readOnlyHook struct{ scripts map[string]bool }

func newReadOnlyHook() readOnlyHook {
	h := readOnlyHook{scripts: map[string]bool{}}
	for _, sc := range readOnlyScripts {
		h.scripts[sc.Hash()] = true
	}
	return h
}

// allowed reports whether cmd only reads.
func (h readOnlyHook) allowed(cmd redis.Cmder) bool {
	name := strings.ToLower(cmd.Name())
	args := cmd.Args()
	switch name {
	case "evalsha", "evalsha_ro":
		return len(args) > 1 && h.scripts[fmt.Sprint(args[1])]
	case "eval", "eval_ro":
		if len(args) < 2 {
			return false
		}
		sum := sha1.Sum([]byte(fmt.Sprint(args[1]))) //nolint:gosec // a script's name, not a secret
		return h.scripts[hex.EncodeToString(sum[:])]
	case "script":
		sub := ""
		if len(args) > 1 {
			sub = strings.ToLower(fmt.Sprint(args[1]))
		}
		return sub == "load" || sub == "exists"
	}
	return readCommands[name]
}

func (h readOnlyHook) refuse(cmd redis.Cmder) error {
	err := fmt.Errorf("%s: %w", strings.ToUpper(cmd.Name()), ErrReadOnly)
	cmd.SetErr(err)
	return err
}

// DialHook passes connections through.
func (h readOnlyHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

// ProcessHook refuses a write command.
func (h readOnlyHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !h.allowed(cmd) {
			return h.refuse(cmd)
		}
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook refuses a pipeline that holds a write command; none
// of its commands is sent.
func (h readOnlyHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			if n := strings.ToLower(cmd.Name()); n == "multi" || n == "exec" {
				continue // the transaction's frame; its commands are checked
			}
			if !h.allowed(cmd) {
				err := h.refuse(cmd)
				for _, c := range cmds {
					if c.Err() == nil {
						c.SetErr(err)
					}
				}
				return err
			}
		}
		return next(ctx, cmds)
	}
}
