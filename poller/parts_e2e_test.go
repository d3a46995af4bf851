package poller_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/snowduty/snowduty/clients/flashduty/fdsim"
	"github.com/snowduty/snowduty/clients/servicenow/snowsim"
	"github.com/snowduty/snowduty/poller"
	"github.com/snowduty/snowduty/state/redistest"
)

// A ServiceNow comment too long for one Flashduty comment goes over in
// three parts. The post of part 2 fails; whether it landed (the answer was
// lost) or not, the retry posts exactly the parts Flashduty lacks: each
// part ends up there once, and the pair is not reported in sync before.
func TestCommentPartsSurviveAFailedMiddlePart(t *testing.T) {
	for _, afterApply := range []bool{false, true} {
		t.Run(fmt.Sprintf("part 2 landed=%v", afterApply), func(t *testing.T) {
			redis := redistest.Start(t)
			synctest.Test(t, func(t *testing.T) {
				e := newWorld(redis).newEnv(t)
				id, sysID := e.linkedPair("Payment worker crash loop")
				time.Sleep(5 * time.Second)
				body := strings.TrimSpace(strings.Repeat("goroutine 17 [running]: payment.(*Worker).settle(0xc000128000) ", 35))
				e.must(e.sn.AddComment(snowsim.Alice, sysID, body))
				time.Sleep(5 * time.Second)
				e.must(e.fd.InjectFault(fdsim.Fault{Path: "/incident/comment", Skip: 1, Status: 500, AfterApply: afterApply}))
				var pe *poller.PassError
				if err := e.passErr(); !errors.As(err, &pe) || len(pe.Failures) != 1 {
					t.Fatalf("first pass: %v, want the pair to fail on part 2", err)
				}
				e.converge(8)
				for i := 1; i <= 3; i++ {
					if n := e.fdComments(id, fmt.Sprintf("(%d/3)]", i)); n != 1 {
						t.Fatalf("part %d/3 is on flashduty %d times, want once", i, n)
					}
				}
				if n := e.fdComments(id, "(4/"); n != 0 {
					t.Fatalf("the comment was split differently on retry: %d parts of 4 or more", n)
				}
				if n := countJournal(e.sn.Journal(sysID), "[Flashduty"); n != 0 {
					t.Fatalf("%d parts echoed back to servicenow", n)
				}
				e.steady(2)
			})
		})
	}
}
