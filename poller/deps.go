package poller

import (
	"context"

	"github.com/snowduty/snowduty/clients/flashduty"
	"github.com/snowduty/snowduty/clients/servicenow"
	"github.com/snowduty/snowduty/poller/fdside"
	"github.com/snowduty/snowduty/poller/snowside"
)

// ServiceNow is the part of the ServiceNow client the poller uses.
type ServiceNow interface {
	Changes(ctx context.Context, q servicenow.ChangeQuery) (servicenow.ChangePage, error)
	GetMany(ctx context.Context, sysIDs []string, columns []string) ([]servicenow.Incident, error)
	FindByCorrelationIDs(ctx context.Context, ids []string) ([]servicenow.Incident, error)
	FindByNumbers(ctx context.Context, numbers []string) ([]servicenow.Incident, error)
	Journal(ctx context.Context, q servicenow.JournalQuery) ([]servicenow.JournalEntry, error)
	JournalHistory(ctx context.Context, sysIDs []string) (map[string]string, error)
	Create(ctx context.Context, fields map[string]string) (servicenow.Incident, error)
	snowside.Client // the writes a plan makes
	CurrentUser(ctx context.Context) (servicenow.User, error)
}

// Flashduty is the part of the Flashduty client the poller uses.
type Flashduty interface {
	List(ctx context.Context, q flashduty.ListQuery, fn func([]flashduty.Incident) error) error
	ListByIDs(ctx context.Context, ids []string) ([]flashduty.Incident, error)
	Feed(ctx context.Context, q flashduty.FeedQuery) ([]flashduty.FeedItem, error)
	Create(ctx context.Context, r flashduty.CreateRequest) (string, error)
	fdside.Client // the writes a plan makes
	MemberInfo(ctx context.Context) (flashduty.Member, error)
	AccountInfo(ctx context.Context) (flashduty.Account, error)
	PersonInfos(ctx context.Context, ids []int64) ([]flashduty.Person, error)
	// Load is the share of the per-minute rate limit used in the last
	// minute (above 1 with a backlog).
	Load() float64
}

var (
	_ ServiceNow = (*servicenow.Client)(nil)
	_ Flashduty  = (*flashduty.Client)(nil)
)
