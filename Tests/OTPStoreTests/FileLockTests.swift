import CShims
import Foundation
import Testing

/// The lock every update takes: a blocking wait that the release wakes,
/// bounded by a deadline, and that never leaves the lock behind.
@Suite(.serialized)
struct FileLockTests {
  @Test func aWaiterTakesTheLockWhenItIsReleased() throws {
    let box = try Sandbox()
    let path = try box.write("alice", "x\n")
    let holder = open(path, O_RDONLY), waiter = open(path, O_RDONLY), other = open(path, O_RDONLY)
    defer { [holder, waiter, other].forEach { close($0) } }
    #expect(cshim_flock_exclusive(holder, 1_000_000_000) == 0)

    let result = Locked<Int32?>(nil)
    let thread = Thread { result.set(cshim_flock_exclusive(waiter, 30_000_000_000)) }
    thread.start()
    usleep(200_000)
    #expect(result.value == nil, "the waiter took a lock that was held")
    _ = flock(holder, LOCK_UN)
    let status = try result.await(seconds: 30)
    #expect(status == 0)
    // The waiter holds it now.
    #expect(flock(other, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
  }

  @Test func aWaitEndsAtItsDeadlineAndLeavesNoLockBehind() throws {
    let box = try Sandbox()
    let path = try box.write("alice", "x\n")
    let holder = open(path, O_RDONLY), waiter = open(path, O_RDONLY), other = open(path, O_RDONLY)
    defer { [holder, waiter, other].forEach { close($0) } }
    #expect(flock(holder, LOCK_EX) == 0)
    #expect(cshim_flock_exclusive(waiter, 100_000_000) == ETIMEDOUT)
    // The abandoned wait takes the lock when the holder lets go, and must
    // give it up again at once.
    _ = flock(holder, LOCK_UN)
    #expect(cshim_flock_exclusive(other, 10_000_000_000) == 0)
    _ = flock(other, LOCK_UN)
    // Nor does the waiter's own descriptor hold it.
    #expect(flock(holder, LOCK_EX | LOCK_NB) == 0)
  }

  @Test func aBadDescriptorIsAnError() {
    #expect(cshim_flock_exclusive(-1, 1_000_000) == EBADF)
  }
}

/// A value set on one thread and awaited on another.
final class Locked<Value>: @unchecked Sendable {
  private let condition = NSCondition()
  private var stored: Value
  private var isSet = false

  init(_ value: Value) { stored = value }

  var value: Value {
    condition.lock()
    defer { condition.unlock() }
    return stored
  }

  func set(_ value: Value) {
    condition.lock()
    stored = value
    isSet = true
    condition.broadcast()
    condition.unlock()
  }

  func modify(_ change: (inout Value) -> Void) {
    condition.lock()
    change(&stored)
    condition.unlock()
  }

  func await(seconds: Double) throws -> Value {
    let deadline = Date(timeIntervalSinceNow: seconds)
    condition.lock()
    defer { condition.unlock() }
    while !isSet {
      guard condition.wait(until: deadline) else { throw POSIXError(.ETIMEDOUT) }
    }
    return stored
  }
}
