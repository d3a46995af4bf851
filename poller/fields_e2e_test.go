package poller_test

import (
	"testing"
	"testing/synctest"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/diff"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state/redistest"
)

func withFieldMaps(o *poller.Options) {
	o.Policy.Mapping.FieldsToServiceNow = []diff.FieldToServiceNow{
		{Source: diff.SourceLabel, Name: "service", Column: "u_service"},
	}
	o.Policy.Mapping.FieldsToFlashduty = []diff.FieldToFlashduty{
		{Column: "u_business_service", Field: "affected_service"},
	}
}

func TestCustomFieldsBothWaysEmptyNeverClears(t *testing.T) {
	redis := redistest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		e := newWorld(redis).newEnv(t, withFieldMaps)
		id := e.newFD(fdsim.IncidentSpec{Title: "Checkout slow", Severity: "Warning", Labels: map[string]string{"service": "checkout"}})
		bare := e.newFD(fdsim.IncidentSpec{Title: "No labels at all", Severity: "Info"})
		e.settle(4)
		sysID := e.linkOf(id).SysID
		if got := e.snowOf(sysID)["u_service"]; got != "checkout" {
			t.Fatalf("u_service = %q, want checkout (from the service label)", got)
		}
		// ServiceNow column → Flashduty custom field.
		e.after(func() { e.editSN(sysID, map[string]string{"u_business_service": "Payments"}) })
		if got := e.fdOf(id).Fields["affected_service"]; got != "Payments" {
			t.Fatalf("affected_service = %v, want Payments", got)
		}
		// Emptying the source never clears the target.
		e.after(func() { e.editSN(sysID, map[string]string{"u_business_service": ""}) })
		if got := e.fdOf(id).Fields["affected_service"]; got != "Payments" {
			t.Fatalf("affected_service = %v after the column was emptied, want Payments kept", got)
		}
		// A label that is absent never clears a column a person filled.
		bareSys := e.linkOf(bare).SysID
		e.after(func() { e.editSN(bareSys, map[string]string{"u_service": "typed by a person"}) })
		if got := e.snowOf(bareSys)["u_service"]; got != "typed by a person" {
			t.Fatalf("u_service = %q, want the person's value kept", got)
		}
		e.steady(3)
	})
}
