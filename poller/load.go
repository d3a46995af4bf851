package poller

import (
	"context"
	"regexp"
	"slices"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/poller/fdside"
)

// commentMargin is how far before a pair's last sync the comment reads
// start, for clock skew and late commits.
const commentMargin = 5 * time.Minute

// fetchPartners reads the missing side of every linked pair: one
// GetMany/ListByIDs per 100 pairs. A partner that no longer exists fails
// the pair with classGone.
func (p *Poller) fetchPartners(ctx context.Context, batch []*pair) error {
	var sns, fds []string
	for _, c := range batch {
		if c.link == nil {
			continue
		}
		if c.snow == nil {
			sns = append(sns, c.link.SysID)
		}
		if c.fd == nil {
			fds = append(fds, c.link.IncidentID)
		}
	}
	if len(sns) > 0 {
		got, err := p.sn.GetMany(ctx, sns, p.o.Policy.Mapping.Columns())
		if err != nil {
			return errBatch("read servicenow incidents", err)
		}
		byID := map[string]*servicenow.Incident{}
		for i := range got {
			byID[got[i].SysID] = &got[i]
		}
		for _, c := range batch {
			if c.link != nil && c.snow == nil {
				c.snow = byID[c.link.SysID]
			}
		}
	}
	if len(fds) > 0 {
		got, err := p.fd.ListByIDs(ctx, fds)
		if err != nil {
			return errBatch("read flashduty incidents", err)
		}
		byID := map[string]*flashduty.Incident{}
		for i := range got {
			byID[got[i].ID] = &got[i]
		}
		for _, c := range batch {
			if c.link != nil && c.fd == nil {
				c.fd = byID[c.link.IncidentID]
			}
		}
	}
	for _, c := range batch {
		switch {
		case c.link == nil || c.failed != nil:
		case c.snow == nil:
			c.fail("servicenow", goneError("servicenow incident "+c.link.SysID+" ("+c.link.Number+") no longer exists or the integration user cannot read it"))
		case c.fd == nil:
			c.fail("flashduty", goneError("flashduty incident "+c.link.IncidentID+" no longer exists or the app key cannot read it"))
		}
	}
	return nil
}

// loadSnapshots reads the base of every linked pair in one round trip.
func (p *Poller) loadSnapshots(ctx context.Context, batch []*pair) error {
	var ids []string
	for _, c := range batch {
		if c.id != "" && !c.baseLoaded {
			ids = append(ids, c.id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	snaps, err := p.st.Snapshots(ctx, ids)
	if err != nil {
		return errBatch("read snapshots", err)
	}
	for _, c := range batch {
		if c.id == "" || c.baseLoaded {
			continue
		}
		c.baseLoaded = true
		v, ok := snaps[c.id]
		if !ok {
			continue
		}
		c.baseVersion = v.Version
		if len(v.Data) == 0 {
			continue
		}
		var s diff.Snapshot
		if err := s.UnmarshalBinary(v.Data); err != nil {
			// An unreadable base is treated as lost: the pair is adopted
			// again (values compared, comments matched), nothing is lost.
			p.log.Warn("unreadable snapshot; adopting the pair again", pairAttr(c), errAttr(err))
			c.readAll = true
			continue
		}
		c.base = &s
	}
	return nil
}

// readComments reads ServiceNow journals (one query per batch) and
// Flashduty feeds (one call per pair) for the pairs that need them. With
// force, it reads them for exactly those pairs, whatever their marks say.
// Only in a mode that writes does it record what it found (feed checks,
// the journal's readability).
func (p *Poller) readComments(ctx context.Context, batch []*pair, force []*pair, m mode) error {
	forced := map[*pair]bool{}
	for _, c := range force {
		forced[c] = true
	}
	var journalFor []*pair
	var since time.Time
	first := true
	for _, c := range batch {
		if c.snow == nil || c.journalRead || !(forced[c] || p.wantJournal(c)) {
			continue
		}
		s := time.Time{}
		if c.base != nil && !c.readAll {
			s = time.Unix(c.base.SnowUpdatedOn, 0).Add(-commentMargin)
		}
		if first || s.Before(since) {
			since = s
		}
		first = false
		journalFor = append(journalFor, c)
	}
	if len(journalFor) > 0 && len(p.o.Policy.Mapping.JournalElements()) > 0 {
		if err := p.readJournal(ctx, journalFor, since, m.writes()); err != nil {
			return err
		}
	}
	checked := map[string]time.Time{}
	for _, c := range batch {
		if c.fd == nil || c.feedRead || !(forced[c] || p.wantFeed(c)) {
			continue
		}
		q := flashduty.FeedQuery{IncidentID: c.fd.ID, Types: []string{flashduty.FeedComment}}
		if c.base == nil {
			q.Types = append(q.Types, fdside.HistoryTypes...)
		}
		if c.base != nil && !c.readAll {
			q.Since = time.Unix(min(c.base.FDUpdatedAt, newestMark(c.base, diff.Flashduty)), 0).Add(-commentMargin)
		}
		start := p.now()
		items, err := p.fd.Feed(ctx, q)
		if err != nil {
			c.fail("flashduty", err)
			continue
		}
		c.feed, c.feedRead = items, true
		if c.id != "" {
			checked[c.id] = start
		}
	}
	if len(checked) > 0 && m.writes() {
		if f, ok := p.currentFence(); ok {
			if err := p.st.SetFeedChecked(ctx, f, checked); err != nil {
				return errBatch("record feed checks", err)
			}
		}
	}
	return nil
}

// wantJournal: ServiceNow changed since the base (a comment bumps
// sys_mod_count), or the pair needs a full read.
func (p *Poller) wantJournal(c *pair) bool {
	return c.readAll || c.base == nil || int64(c.snow.SysModCount) != c.base.SnowModCount
}

// wantFeed: a new or adopted pair, a full read, a Flashduty change, or a
// pair picked by the feed budget (comments may not bump updated_at).
func (p *Poller) wantFeed(c *pair) bool {
	return c.readAll || c.feedDue || c.base == nil || c.fd.UpdatedAt != c.base.FDUpdatedAt
}

// newestMark is the time (unix s) of the newest handled comment of side in
// the base, or the side's high-water mark; math.MaxInt64 when none.
func newestMark(s *diff.Snapshot, side diff.Side) int64 {
	var newest int64
	if side == diff.Flashduty {
		newest = s.FDCommentHighWater
	} else {
		newest = s.SnowCommentHighWater
	}
	for _, m := range s.Comments {
		if m.Side == side && m.At > newest {
			newest = m.At
		}
	}
	if newest == 0 {
		return 1<<63 - 1
	}
	return newest / 1000
}

// resolveNames fills the name cache with the Flashduty people who wrote the
// batch's comments or closed its incidents (one call per batch).
func (p *Poller) resolveNames(ctx context.Context, batch []*pair) error {
	var ids []int64
	p.mu.Lock()
	for _, c := range batch {
		if c.fd == nil {
			continue
		}
		cand := []int64{c.fd.CloserID}
		for _, it := range c.feed {
			if it.Type == flashduty.FeedComment {
				cand = append(cand, it.CreatorID)
			}
		}
		for _, id := range cand {
			if _, ok := p.names[id]; !ok && id != 0 && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	p.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	people, err := p.fd.PersonInfos(ctx, ids)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		p.names[id] = "" // do not ask again for unknown ids
	}
	for _, pe := range people {
		p.names[pe.PersonID] = pe.PersonName
	}
	return nil
}

// nameMap returns a copy of the name cache for one pair's view.
func (p *Poller) nameMap() map[int64]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[int64]string, len(p.names))
	for k, v := range p.names {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// refNumberRE finds the "[ServiceNow: INC0010001]" line that snowduty puts
// in the description of Flashduty incidents it creates.
var refNumberRE = regexp.MustCompile(`\[ServiceNow: ([A-Z]{2,8}[0-9]{4,12})\]`)

func refNumber(desc string) string {
	m := refNumberRE.FindStringSubmatch(desc)
	if m == nil {
		return ""
	}
	return m[1]
}

// looksLikeIncidentID reports whether s has the shape of a Flashduty
// incident id (24 hex digits).
func looksLikeIncidentID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}
