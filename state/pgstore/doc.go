// Package pgstore is the shared state backend on PostgreSQL: the state
// documents (state.Backend), the leases that let one replica act for a unit
// (state.Locker), the manual commands sent to a unit's leader
// (state.Mailbox) and the list of live replicas that units are sharded
// across (Join, Members). Two or more replicas of the reconciler point at
// one database; for each unit, one of them leads.
//
// # Tables
//
// Open creates its tables (all named reconciler_*) with embedded,
// versioned migrations, run in one transaction under an advisory lock, so
// that replicas starting at once do not race. It refuses a database whose
// schema is newer than this build (state.ErrNewerState).
//
// # Leases and fencing
//
// Leases follow client-go's leader election: a lease lasts LeaseDuration
// (15 s), its holder renews it every RetryPeriod (2 s) and gives up when it
// has not renewed within RenewDeadline (10 s); a follower polls every
// RetryPeriod and takes a lease that has expired or was released, trying
// again as the lease expires when that comes before its next poll, so
// that a dead leader is replaced within LeaseDuration of its last renewal.
// Every
// acquisition increments the unit's epoch, the fencing token. Save and
// Answer are single statements that write only while the writer's lease is
// still the unit's valid lease (same holder, same epoch, not expired), so
// a deposed leader (GC pause, SIGSTOP, partition) fails its next save with
// state.ErrFenced and stops before it does anything else.
//
// Expiry is decided by PostgreSQL's clock (now()) alone, so all replicas
// agree on it whatever their own clocks say. A holder measures its own
// deadline on its monotonic clock from the moment it sent its last
// successful renewal: the database stamped that renewal no earlier, so the
// holder always gives up (Done closes) at least LeaseDuration -
// RenewDeadline before any other replica can take the lease.
//
// # Mailbox
//
// Post, Answer and a released lease send a NOTIFY on the channel
// "reconciler"; Wake, Await and Acquire wait for it on one LISTEN
// connection per Store. A notification is lost while that connection is
// down, so they also poll: Await every MailboxPoll (1 s), Acquire every
// RetryPeriod, and Wake every MailboxPoll while LISTEN is down but only
// every tenth while it is up (the poll then only guards against a
// notification lost without an error, as on a half-open connection). On
// reconnecting, every waiter is woken to look for itself.
//
// # Cost
//
// Stats counts the statements a Store sends. In steady state a replica
// leading one unit sends one renewal per RetryPeriod (all its leases and
// its membership heartbeat in one statement), one save per probe round and
// one mailbox poll per ten MailboxPoll: 30 + 12 + 6 = 48 a minute at the
// default timings and a 5 s probe interval (49 measured: a reconcile pass
// saves too). A follower sends one acquisition attempt per
// RetryPeriod per unit it waits for, and after each failed one a holder
// read, to name the holder; the controller's standby adds a state read and
// a holder read every 2 s: 120 a minute at the defaults (go run ./bench -ha).
//
// Errors never carry the database URL's password.
package pgstore
