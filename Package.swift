// swift-tools-version: 6.0
import PackageDescription

// pam_otp: a PAM module for one-time passwords (TOTP/HOTP) and `otpctl`, the
// tool that enrols users. The OTP math, the secret-file format and the file
// handling are written once (OTPCore, OTPStore) and serve the module, the CLI
// and the tests.
//
// The module is compiled in Embedded Swift: no Swift runtime to load into
// every sshd and sudo process, no libstdc++, about 100 KB instead of 9 MB.
// Embedded code cannot link normal Swift modules, so the PAMOTP target
// compiles the OTPCore, OTPStore and OTPDelivery sources a second time through
// symlinks (Sources/PAMOTP/OTPCore -> ../OTPCore) into one embedded module; the
// CLI and the tests use the normal targets of the same files.

let packageDirectory = Context.packageDirectory

let embedded: [SwiftSetting] = [
  .enableExperimentalFeature("Embedded"),
  // Embedded Swift needs whole-module compilation, also in debug builds.
  .unsafeFlags(["-wmo"]),
  // OTPStore's files import OTPCore; inside the single embedded module they
  // are the same module, so that import is compiled out.
  .define("PAM_OTP_SINGLE_MODULE"),
]

// A sanitizer build (scripts/test's ASan stage) leaves the sanitizer's
// runtime symbols for the instrumented test program to provide.
let sanitizerBuild = Context.environment["PAM_OTP_SANITIZER_BUILD"] != nil

let moduleLinkFlags: [String] = ([
  // libpam dlcloses modules at pam_end; code that was unloaded must never run
  // again, so the module stays mapped for the life of the process.
  "-z", "nodelete",
] + (sanitizerBuild ? [] : [
  // Fail the build on any unresolved symbol instead of failing inside sshd.
  "-z", "defs",
]) + [
  "-z", "now", "-z", "relro",
  // Export pam_sm_authenticate and pam_sm_setcred, nothing else.
  "--version-script=\(packageDirectory)/Sources/PAMOTP/exports.map",
  "--gc-sections",
]).flatMap { ["-Xlinker", $0] }

let package = Package(
  name: "pam_otp",
  products: [
    .library(name: "pam_otp", type: .dynamic, targets: ["PAMOTP"]),
    .executable(name: "otpctl", targets: ["otpctl"]),
  ],
  dependencies: [
    // The CLI's argument parsing, help and error messages (why: the standard
    // for Swift command-line tools; it validates before any file is touched).
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    // C libraries, each behind a tiny header of shims (see each header).
    // libc shims; a C target because a few calls need _GNU_SOURCE (shims.c).
    .target(name: "CShims", path: "Sources/CShims"),
    // The fleet store's LDAP calls; libldap is dlopen'ed on first use, so
    // neither the module nor otpctl links it (see its header).
    .target(name: "CFleetLDAP", path: "Sources/CFleetLDAP"),
    .systemLibrary(name: "CCrypto", path: "Sources/CCrypto"),
    .systemLibrary(name: "CPAM", path: "Sources/CPAM"),
    .systemLibrary(name: "CQRencode", path: "Sources/CQRencode"),
    .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
    // libxml2, for otpctl's `import pskc` only (never the module): RFC 6030
    // files are namespaced XML, which only a real parser reads correctly. It
    // is set up to refuse any DOCTYPE and never touch the network (see its
    // header).
    .systemLibrary(name: "CXML", path: "Sources/CXML", pkgConfig: "libxml-2.0"),

    // Pure logic: no I/O, no clock, no Foundation.
    .target(name: "OTPCore", dependencies: ["CCrypto"]),
    // Files: safe open, checks, locking, atomic replace, identities; and
    // the fleet's directory (FleetDirectory.swift, through CFleetLDAP).
    .target(name: "OTPStore", dependencies: ["OTPCore", "CShims", "CFleetLDAP"]),
    // Runs the administrator's delivery program: process handling, apart
    // from the file rules.
    .target(name: "OTPDelivery", dependencies: ["OTPCore", "OTPStore", "CShims"]),
    // The PAM module (Embedded Swift; see above).
    .target(
      name: "PAMOTP",
      dependencies: ["CCrypto", "CShims", "CPAM", "CFleetLDAP"],
      exclude: ["exports.map"],
      swiftSettings: embedded,
      linkerSettings: [
        .linkedLibrary("pam"), .linkedLibrary("crypto"), .unsafeFlags(moduleLinkFlags),
      ]),
    .executableTarget(
      name: "otpctl",
      dependencies: [
        "OTPCore", "OTPStore", "CQRencode", "CPNG", "CXML", "CCrypto",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      linkerSettings: [
        .linkedLibrary("qrencode"), .linkedLibrary("png16"), .linkedLibrary("xml2"),
        // The release otpctl carries the Swift runtime and FoundationEssentials
        // inside it, so it runs on servers without a Swift toolchain (ldd shows
        // only Debian's libraries). Debug builds stay dynamic: the test
        // programs that link otpctl's code also load the toolchain's runtime,
        // and one process must not hold two. -z now and relro: the hardening
        // Debian expects of a program that root runs.
        .unsafeFlags(
          ["-static-stdlib", "-Xlinker", "-z", "-Xlinker", "now", "-Xlinker", "-z", "-Xlinker", "relro"],
          .when(configuration: .release)),
        // FoundationEssentials' own static dependencies (the dynamic library
        // names them itself; its archive cannot).
        .linkedLibrary("_FoundationCollections", .when(configuration: .release)),
        .linkedLibrary("_FoundationCShims", .when(configuration: .release)),
        .linkedLibrary("swiftSynchronization", .when(configuration: .release)),
      ]),

    // Pure logic: RFC vectors, formats, the policy with time injected.
    .testTarget(name: "OTPCoreTests", dependencies: ["OTPCore"]),
    // File rules on a real file system: walk, checks, locks, atomic replace.
    .testTarget(name: "OTPStoreTests", dependencies: ["OTPStore", "OTPCore", "CShims"]),
    // The built module (PAM_OTP_MODULE, the release .so) inside the real libpam.
    .testTarget(name: "PAMModuleTests", dependencies: ["CPAM", "OTPCore"]),
    // otpctl's argument parsing, separate from running the binary.
    .testTarget(name: "otpctlTests", dependencies: ["otpctl"]),
    // Against independent implementations: oathtool, the google-authenticator CLI.
    .testTarget(name: "InteropTests", dependencies: ["OTPCore"]),
    // The manual pages' sources against the code: every module option in
    // pam_otp(8), every exit code in otpctl(1).
    .testTarget(name: "ManPageTests", dependencies: ["OTPCore", "otpctl"]),
  ]
)
