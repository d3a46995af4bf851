package poller

import (
	"context"
	"errors"
	"log/slog"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/state"
)

// resolveLinks finds the link of every candidate (one round trip per side)
// and adopts unlinked incidents whose partner already exists: a ServiceNow
// incident whose correlation_id names a Flashduty incident, a Flashduty
// incident that a ServiceNow incident names in its correlation_id, or one
// whose description carries the "[ServiceNow: INC…]" line snowduty writes.
// This is also how links are rebuilt after Redis was lost.
func (p *Poller) resolveLinks(ctx context.Context, batch []*pair, write bool) error {
	var sns, fds []string
	for _, c := range batch {
		if c.link != nil {
			continue
		}
		if c.snow != nil {
			sns = append(sns, c.snow.SysID)
		}
		if c.fd != nil {
			fds = append(fds, c.fd.ID)
		}
	}
	if len(sns) > 0 {
		links, err := p.st.LinksBySysIDs(ctx, sns)
		if err != nil {
			return errBatch("read links", err)
		}
		for _, c := range batch {
			if l, ok := links[c.sysID()]; ok && c.link == nil {
				c.setLink(l)
			}
		}
	}
	if len(fds) > 0 {
		links, err := p.st.LinksByIncidentIDs(ctx, fds)
		if err != nil {
			return errBatch("read links", err)
		}
		for _, c := range batch {
			if l, ok := links[c.incidentID()]; ok && c.link == nil {
				c.setLink(l)
			}
		}
	}
	return p.adopt(ctx, batch, write)
}

func (c *pair) setLink(l state.Link) {
	c.link = &l
	c.id = l.PairID()
}

// adopt links unlinked candidates to partners that already exist.
func (p *Poller) adopt(ctx context.Context, batch []*pair, write bool) error {
	var named, unlinkedFD, numbers []string
	for _, c := range batch {
		if c.link != nil {
			continue
		}
		if c.snow != nil && looksLikeIncidentID(c.snow.CorrelationID) {
			named = append(named, c.snow.CorrelationID)
		}
		if c.fd != nil {
			unlinkedFD = append(unlinkedFD, c.fd.ID)
			if n := refNumber(c.fd.Description); n != "" {
				numbers = append(numbers, n)
			}
		}
	}
	if len(named) > 0 {
		got, err := p.fd.ListByIDs(ctx, named)
		if err != nil {
			return errBatch("read flashduty incidents named by correlation_id", err)
		}
		byID := map[string]*flashduty.Incident{}
		for i := range got {
			byID[got[i].ID] = &got[i]
		}
		for _, c := range batch {
			if c.link == nil && c.snow != nil {
				if fd := byID[c.snow.CorrelationID]; fd != nil {
					p.link(ctx, c, c.snow, fd, write)
				}
			}
		}
	}
	var found []servicenow.Incident
	if len(unlinkedFD) > 0 {
		got, err := p.sn.FindByCorrelationIDs(ctx, unlinkedFD)
		if err != nil {
			return errBatch("find servicenow incidents by correlation_id", err)
		}
		found = append(found, got...)
	}
	if len(numbers) > 0 {
		got, err := p.sn.FindByNumbers(ctx, numbers)
		if err != nil {
			return errBatch("find servicenow incidents by number", err)
		}
		found = append(found, got...)
	}
	for _, c := range batch {
		if c.link != nil || c.fd == nil {
			continue
		}
		ref := refNumber(c.fd.Description)
		for i := range found {
			sn := &found[i]
			byCorr := c.fd.ID != "" && sn.CorrelationID == c.fd.ID
			byNumber := ref != "" && sn.Number == ref && (sn.CorrelationID == "" || sn.CorrelationID == c.fd.ID)
			if byCorr || byNumber {
				p.link(ctx, c, sn, c.fd, write)
				break
			}
		}
	}
	return nil
}

// link stores an adopted link between two existing incidents. The pair then
// has no base: values are compared and comments matched, so nothing is
// duplicated.
func (p *Poller) link(ctx context.Context, c *pair, sn *servicenow.Incident, fd *flashduty.Incident, write bool) {
	l := state.Link{SysID: sn.SysID, Number: sn.Number, IncidentID: fd.ID, Created: p.now(), Origin: p.adoptedOrigin(ctx, sn.SysID, fd.ID)}
	if write {
		err := p.st.PutLink(ctx, l)
		var conflict *state.LinkConflictError
		switch {
		case errors.As(err, &conflict):
			// One side is already linked to another incident: two
			// partners claim it. Leave it to a person.
			c.fail("state", err)
			return
		case err != nil:
			c.fail("state", err)
			return
		}
		// Watched from now on, as a created pair is: if the process dies
		// before this pass records the pair, the Flashduty side is still
		// re-read (discovery skips linked incidents).
		if err := p.st.AddActive(ctx, l.PairID()); err != nil {
			c.fail("state", err)
			return
		}
		for _, id := range []string{state.PairIDForSysID(sn.SysID), state.PairIDForIncident(fd.ID)} {
			if err := p.st.ResolveIntent(ctx, id); err != nil {
				p.log.Warn("resolve intent", pairAttr(c), errAttr(err))
			}
		}
	}
	c.snow, c.fd = sn, fd
	c.setLink(l)
	c.readAll = true
	if !write {
		return
	}
	p.audit(ctx, c, state.Event{Kind: "adopt", Detail: "linked " + sn.Number + " ↔ " + fd.ID + " (found by correlation)"})
	p.log.Info("adopted an existing pair", pairAttr(c), slog.String(keyNumber, sn.Number), slog.String(keyIncidentID, fd.ID))
}

// adoptedOrigin is the origin of a link found by search. When snowduty
// stored a create base for one side before a create whose outcome it did
// not see, the pair keeps that side's pair id, so the base is found again;
// otherwise the link is adopted (no base).
func (p *Poller) adoptedOrigin(ctx context.Context, sysID, incidentID string) state.Origin {
	fdID, snID := state.PairIDForIncident(incidentID), state.PairIDForSysID(sysID)
	snaps, err := p.st.Snapshots(ctx, []string{fdID, snID})
	switch {
	case err != nil:
		p.log.Debug("look for a create base", errAttr(err))
	case len(snaps[fdID].Data) > 0:
		return state.OriginFlashduty
	case len(snaps[snID].Data) > 0:
		return state.OriginServiceNow
	}
	return state.OriginAdopted
}
