package state

import (
	"context"
	"errors"
	"time"
)

// The storage seam. A unit (one spec, or one spec × environment in a fleet)
// is a key: its state document lives in a Backend under that key, and the
// right to act for it is a Lease from a Locker. The file store (one JSON
// file and an flock per unit) is the embedded implementation; PostgreSQL
// (package state/pgstore) is the shared one that two replicas can use.
//
// Fencing: every acquisition of a unit's lock increments its epoch, and
// every Save is conditional on the saver's lease still being the valid one.
// The reconciler saves the state before every Railway mutation, so a
// deposed leader (GC pause, SIGSTOP, partition) fails its next save and
// stops before it mutates anything.

// ErrFenced means a Save was refused because the lease it was made under is
// no longer valid: it expired, or another process acquired the unit since.
// The caller must stop acting for the unit at once.
var ErrFenced = errors.New("state: lease lost, save refused (another replica may be acting)")

// ErrLeaseLost is what Lease.Err wraps when a lease was lost rather than
// released.
var ErrLeaseLost = errors.New("state: lease lost")

// ErrCorrupt means a stored document cannot be read. It is never
// overwritten by a Load; see Quarantiner.
var ErrCorrupt = errors.New("state is corrupt")

// Lease is the held right to act for one unit.
type Lease interface {
	// Name is the unit the lease is on.
	Name() string
	// Epoch is the fencing token: it increases at every acquisition of the
	// unit's lock, by any process.
	Epoch() int64
	// Holder describes the process holding the lease.
	Holder() Holder
	// Expires is when the lease runs out unless renewed; zero for a lock
	// that lasts as long as the process (the file store's flock).
	Expires() time.Time
	// Done is closed when the lease is lost (not renewed in time, or taken)
	// or released.
	Done() <-chan struct{}
	// Err is nil while the lease is held and after Release; it wraps
	// ErrLeaseLost (with the cause) once the lease was lost.
	Err() error
	// Release gives the lock up. It is safe to call more than once.
	Release(ctx context.Context) error
}

// Locker hands out leases on units.
type Locker interface {
	// Acquire blocks until this process holds the unit's lock, or ctx
	// ends (then ctx.Err()). While it waits, the caller is a standby.
	Acquire(ctx context.Context, name string) (Lease, error)
	// TryAcquire makes one attempt; it fails with a *LockedError naming the
	// holder when another process holds the lock.
	TryAcquire(ctx context.Context, name string) (Lease, error)
	// Holder reports who holds the unit's lock now, if anyone.
	Holder(ctx context.Context, name string) (Holder, bool, error)
}

// Backend stores one state document per unit.
type Backend interface {
	// Load reads a unit's state. It fails with ErrNoState when none was
	// saved, ErrNewerState when the document (or the store's schema) is
	// newer than this build, and ErrCorrupt when it cannot be read. Load
	// never writes.
	Load(ctx context.Context, name string) (*State, error)
	// Save writes st under st.Name atomically, on condition that lease is
	// still the unit's valid lease; otherwise it fails with ErrFenced and
	// writes nothing. It sets st.Version.
	Save(ctx context.Context, lease Lease, st *State) error
	// Close releases the backend's resources (files, connections).
	Close() error
}

// Quarantiner is implemented by a Backend that can move a corrupt document
// aside so that its lease holder can start afresh (the file store does;
// PostgreSQL refuses a corrupt row instead, leaving it for a person).
type Quarantiner interface {
	// Quarantine moves the unit's corrupt document aside and says where.
	Quarantine(ctx context.Context, lease Lease, name string) (movedTo string, err error)
}

// Manual command actions carried by a Mailbox.
const (
	RequestRollback    = "rollback"
	RequestRollForward = "rollforward"
)

// Request is a manual command (rollback, rollforward) for the process that
// leads a unit.
type Request struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Action string    `json:"action"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
	// By describes who asked (host and pid).
	By string `json:"by,omitempty"`
}

// Response is the outcome of a Request, written by the leader.
type Response struct {
	// OK is true when the command was carried out.
	OK bool `json:"ok"`
	// Nothing is true when there was nothing to do (rollforward while not
	// rolled back); OK is then true as well.
	Nothing bool `json:"nothing,omitempty"`
	// Phase is the unit's phase after the command.
	Phase Phase `json:"phase,omitempty"`
	// Message says what happened, or why it failed. Never a secret.
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// Mailbox carries manual commands from any process to a unit's leader,
// through the shared store.
type Mailbox interface {
	// Post records r (its ID is set when empty) and returns its ID.
	Post(ctx context.Context, r Request) (string, error)
	// Pending returns the unanswered requests for the unit, oldest first.
	Pending(ctx context.Context, name string) ([]Request, error)
	// Answer records the outcome of request id, under the leader's lease
	// (ErrFenced when it is no longer valid).
	Answer(ctx context.Context, lease Lease, id string, resp Response) error
	// Await waits for the answer to request id, or ctx's end.
	Await(ctx context.Context, id string) (Response, error)
	// Wake returns a channel that receives a value (at most one pending)
	// whenever a request for the unit may have been posted: the leader's
	// cue to call Pending at once rather than at its next round. It is a
	// hint; the channel is closed when ctx ends.
	Wake(ctx context.Context, name string) <-chan struct{}
}

// Leased is a Backend bound to the lease on one unit: what a reconciler
// saves through.
type Leased struct {
	Backend Backend
	Lease   Lease
}

// Save saves st under the lease.
func (b Leased) Save(ctx context.Context, st *State) error { return b.Backend.Save(ctx, b.Lease, st) }
