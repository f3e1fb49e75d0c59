// The deliver= program of the module-faults fuzz target, installed in the
// private directory under one name per behaviour (the module runs it as
// `PATH CHANNEL ADDRESS` with the code on standard input):
//   deliver-ok     keeps the code in `sent-code` beside itself, exits 0
//   deliver-fail   exits 1 without reading
//   deliver-crash  dies of SIGSEGV
//   deliver-hang   waits until it is killed (the module's time limit)
//   deliver-unsafe (installed writable by everyone: the module must refuse
//                  to run it) behaves as deliver-ok
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  (void)argc;
  const char *name = strrchr(argv[0], '/');
  name = name ? name + 1 : argv[0];
  if (strcmp(name, "deliver-fail") == 0) return 1;
  if (strcmp(name, "deliver-crash") == 0) {
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
    return 2;
  }
  if (strcmp(name, "deliver-hang") == 0) {
    for (;;) pause();
  }
  char code[64];
  ssize_t length = read(0, code, sizeof code - 1);
  if (length < 0) return 3;
  if (name == argv[0]) return 6;
  char path[4096];
  snprintf(path, sizeof path, "%.*s/sent-code", (int)(name - 1 - argv[0]), argv[0]);
  FILE *file = fopen(path, "w");
  if (!file) return 4;
  fwrite(code, 1, (size_t)length, file);
  return fclose(file) == 0 ? 0 : 5;
}
