// Package lease elects one node per Service with a coordination.k8s.io Lease.
//
// The rule is client-go's: an observer never compares the holder's renewTime with its own
// clock. It notes, on its own monotonic clock, when it last saw the record change, and treats
// the lease as expired once the holder's advertised duration has passed since then. The holder
// stops acting as leader once RenewDeadline (< LeaseDuration) has passed since it sent its last
// successful renewal, so it steps down before anyone else may take over.
//
// This file is the pure core: State, Observe and Next. elector.go does the I/O.
package lease

import "time"

// Params are the timing knobs (the agent's flags).
type Params struct {
	// Identity is written as holderIdentity (the node name).
	Identity string
	// LeaseDuration is how long observers wait after the record last changed before taking over.
	LeaseDuration time.Duration
	// RenewDeadline is how long the holder keeps leading without a successful renewal.
	RenewDeadline time.Duration
	// RetryPeriod is the interval between renewals, and between attempts after an error.
	RetryPeriod time.Duration
}

// Record is the election part of a Lease.
type Record struct {
	Holder string
	// Duration is the holder's advertised lease duration (leaseDurationSeconds).
	Duration time.Duration
	// AcquireTime and RenewTime are the writer's wall clock: stored, compared for change, never
	// compared with the local clock.
	AcquireTime time.Time
	RenewTime   time.Time
	Transitions int32
}

func (r Record) equal(o Record) bool {
	return r.Holder == o.Holder && r.Duration == o.Duration && r.Transitions == o.Transitions &&
		r.AcquireTime.Equal(o.AcquireTime) && r.RenewTime.Equal(o.RenewTime)
}

// State is one elector's view. Times other than the Record's are readings of the local clock.
type State struct {
	// Exists is false until a Lease object has been seen (or after it was deleted).
	Exists bool
	Record Record
	// ObservedAt is when Record last changed, on the local clock.
	ObservedAt time.Time
	// Candidate is true while this node wants to announce the Service.
	Candidate bool
	Leader    bool
	// LastRenew is when the last successful write as holder was sent.
	LastRenew time.Time
	// NextTry holds back the next write (renew period, back-off after an error).
	NextTry time.Time
}

// Observe records what the API server says the Lease is now.
func (s *State) Observe(exists bool, r Record, now time.Time) {
	if exists != s.Exists || !r.equal(s.Record) {
		s.ObservedAt = now
	}
	s.Exists, s.Record = exists, r
}

// Action is the next thing an elector does.
type Action int

const (
	// Wait until the returned time, or until something is observed.
	Wait Action = iota
	// Create the Lease with this node as holder.
	Create
	// Acquire an existing Lease: write this node as holder, conditional on the observed version.
	Acquire
	// Renew this node's Lease.
	Renew
	// Release the Lease (holder cleared) so another node takes over at once.
	Release
	// StepDown: stop leading without writing (renewals have failed past the deadline).
	StepDown
)

func (a Action) String() string {
	return [...]string{"Wait", "Create", "Acquire", "Renew", "Release", "StepDown"}[a]
}

// Next decides what to do at local time now. With Wait, wake is when to decide again (zero:
// only when something is observed).
func Next(s State, p Params, now time.Time) (a Action, wake time.Time) {
	if s.Leader {
		if !s.Candidate {
			return Release, time.Time{}
		}
		deadline := s.LastRenew.Add(p.RenewDeadline)
		if !now.Before(deadline) {
			return StepDown, time.Time{}
		}
		if !now.Before(s.NextTry) {
			return Renew, time.Time{}
		}
		return Wait, earliest(s.NextTry, deadline)
	}
	if !s.Candidate {
		return Wait, time.Time{}
	}
	if now.Before(s.NextTry) {
		return Wait, s.NextTry
	}
	if !s.Exists {
		return Create, time.Time{}
	}
	if s.Record.Holder == "" || s.Record.Holder == p.Identity {
		return Acquire, time.Time{}
	}
	expiry := s.ObservedAt.Add(s.Record.Duration)
	if !now.Before(expiry) {
		return Acquire, time.Time{}
	}
	return Wait, expiry
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
