package lease

import (
	"testing"
	"time"
)

var p = Params{Identity: "me", LeaseDuration: time.Second, RenewDeadline: 750 * time.Millisecond, RetryPeriod: 250 * time.Millisecond}

// t0 is an arbitrary local-clock reading; offsets below are relative to it.
var t0 = time.Unix(1000, 0)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func TestNext(t *testing.T) {
	other := Record{Holder: "other", Duration: time.Second}
	cases := []struct {
		name     string
		st       State
		now      time.Time
		want     Action
		wantWake time.Time
	}{
		{"not a candidate, not leader: nothing to do", State{}, at(0), Wait, time.Time{}},
		{"candidate, no Lease yet: create", State{Candidate: true}, at(0), Create, time.Time{}},
		{"candidate backing off after an error", State{Candidate: true, NextTry: at(200)}, at(100), Wait, at(200)},
		{"released Lease (no holder): acquire at once",
			State{Candidate: true, Exists: true, Record: Record{Duration: time.Second}, ObservedAt: at(0)}, at(1), Acquire, time.Time{}},
		{"our own name from before a restart: acquire at once",
			State{Candidate: true, Exists: true, Record: Record{Holder: "me", Duration: time.Second}, ObservedAt: at(0)}, at(1), Acquire, time.Time{}},
		{"other holder, seen changing recently: wait for observed time + its duration",
			State{Candidate: true, Exists: true, Record: other, ObservedAt: at(0)}, at(999), Wait, at(1000)},
		{"other holder, unchanged for its whole duration on our clock: take over",
			State{Candidate: true, Exists: true, Record: other, ObservedAt: at(0)}, at(1000), Acquire, time.Time{}},
		{"the holder's advertised duration counts, not ours",
			State{Candidate: true, Exists: true, Record: Record{Holder: "other", Duration: 15 * time.Second}, ObservedAt: at(0)}, at(5000), Wait, at(15000)},
		{"observer not a candidate never takes over",
			State{Exists: true, Record: other, ObservedAt: at(0)}, at(60000), Wait, time.Time{}},
		{"leader before its renew period: wait for it",
			State{Candidate: true, Leader: true, LastRenew: at(0), NextTry: at(250)}, at(100), Wait, at(250)},
		{"leader at its renew period: renew",
			State{Candidate: true, Leader: true, LastRenew: at(0), NextTry: at(250)}, at(250), Renew, time.Time{}},
		{"leader whose renewals keep failing: retry until the deadline",
			State{Candidate: true, Leader: true, LastRenew: at(0), NextTry: at(700)}, at(600), Wait, at(700)},
		{"leader past its renew deadline: step down without a write",
			State{Candidate: true, Leader: true, LastRenew: at(0), NextTry: at(800)}, at(750), StepDown, time.Time{}},
		{"leader that is no longer a candidate: release",
			State{Leader: true, LastRenew: at(0), NextTry: at(250)}, at(10), Release, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, wake := Next(tc.st, p, tc.now)
			if a != tc.want || !wake.Equal(tc.wantWake) {
				t.Errorf("Next = %v, wake %v; want %v, wake %v", a, wake.Sub(t0), tc.want, tc.wantWake.Sub(t0))
			}
		})
	}
}

// The observer's clock starts when it sees a change, whatever renewTime says: a holder whose
// clock is an hour off is neither expired early nor kept alive late.
func TestObserveUsesLocalClockOnly(t *testing.T) {
	cases := []struct {
		name       string
		renewTimes []time.Time // successive records seen at at(0), at(500), ...
		now        time.Time
		want       Action
	}{
		{"renewTime an hour in the past, just renewed", []time.Time{at(-3600e3), at(-3600e3 + 250)}, at(900), Wait},
		{"renewTime an hour in the future, never renewed again", []time.Time{at(3600e3), at(3600e3)}, at(1000), Acquire},
		{"renewing holder keeps the lease", []time.Time{at(0), at(250)}, at(1499), Wait},
		{"unchanged records do not refresh the observed time", []time.Time{at(0), at(0)}, at(1000), Acquire},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := State{Candidate: true}
			for i, rt := range tc.renewTimes {
				st.Observe(true, Record{Holder: "other", Duration: time.Second, RenewTime: rt}, at(500*i))
			}
			if a, _ := Next(st, p, tc.now); a != tc.want {
				t.Errorf("Next = %v, want %v", a, tc.want)
			}
		})
	}
}

func TestObserveDeletionRestartsTheClock(t *testing.T) {
	st := State{Candidate: true}
	st.Observe(true, Record{Holder: "other", Duration: time.Second}, at(0))
	st.Observe(false, Record{}, at(300))
	if a, _ := Next(st, p, at(301)); a != Create {
		t.Errorf("after deletion: %v, want Create", a)
	}
	if !st.ObservedAt.Equal(at(300)) {
		t.Errorf("ObservedAt = %v, want at(300)", st.ObservedAt.Sub(t0))
	}
}

func TestOlder(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{{"9", "10", true}, {"10", "9", false}, {"10", "10", false}, {"abc", "10", false}, {"", "1", false}} {
		if got := older(tc.a, tc.b); got != tc.want {
			t.Errorf("older(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
