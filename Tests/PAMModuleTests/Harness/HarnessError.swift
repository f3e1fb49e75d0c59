/// A harness step that could not be done; Swift Testing records the thrown
/// error, with this text, as the test's failure.
struct HarnessError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
