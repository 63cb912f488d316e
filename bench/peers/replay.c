/*
 * replay: the C peer of memkind's benchmark suite (bench/README.md).
 *
 * One binary, compiled at bench time with the machine's gcc -O2 -fno-builtin, run as is for
 * glibc malloc and with LD_PRELOAD of libjemalloc.so.2 / libmimalloc.so.2 for the others.
 * Every workload prints exactly one JSON line on stdout.
 *
 *   replay small-pairs REPS MIN_MS
 *       malloc+free pairs: the fixed cycling size sequence 16..512 B, and 64 B. One
 *       calibration/warm-up run (iterations doubled until one run takes >= MIN_MS), then REPS
 *       timed runs of that many pairs.
 *   replay churn TRACE OPS_LIMIT
 *   replay large-purge TRACE OPS_LIMIT
 *       replay a trace file written by bench/lib/trace.ts (OPS_LIMIT 0 = every op): allocate
 *       the warm-up blocks, then per op free a live block and allocate a new one; every
 *       allocated block is written (first byte and one byte per 4 KiB page). large-purge then
 *       frees everything (no malloc_trim) and reports what stays resident.
 *
 * The trace and the slot table live in mmap'ed memory, so the allocator under test sees only
 * the workload's own malloc/free calls. Resident memory comes from /proc/self/status, read
 * with open/read (no stdio, no malloc).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TRACE_MAGIC 0x4d4b5452u /* "RTKM" little-endian: bytes 'R','T','K','M' */
#define TRACE_VERSION 1u
#define TRACE_HEADER_BYTES 32u
#define PAGE 4096u
/* The first ops are also timed on their own (first_ns_per_op): warm-up, growth to peak. */
#define FIRST_OPS 2000u
#define SAMPLES 16u /* periodic resident samples over the op phase, besides the peak point */

/* ----- clocks and /proc ------------------------------------------------------------------ */

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static long status_field_kb(const char *text, const char *name) {
  const char *at = strstr(text, name);
  if (!at) return -1;
  at += strlen(name);
  while (*at == ' ' || *at == '\t' || *at == ':') at++;
  return strtol(at, NULL, 10);
}

/* VmRSS and VmHWM in KiB. */
static void read_resident(long *rss_kb, long *hwm_kb) {
  static char buf[8192];
  int fd = open("/proc/self/status", O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  buf[n > 0 ? n : 0] = 0;
  *rss_kb = status_field_kb(buf, "VmRSS");
  if (hwm_kb) *hwm_kb = status_field_kb(buf, "VmHWM");
}

static long resident_kb(void) {
  long rss;
  read_resident(&rss, NULL);
  return rss;
}

/* ----- which allocator answers malloc ---------------------------------------------------- */

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);
typedef int (*mi_version_fn)(void);

static void impl_name(char *out, size_t len) {
  mallctl_fn mallctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
  mi_version_fn mi_version = (mi_version_fn)dlsym(RTLD_DEFAULT, "mi_version");
  if (mallctl) {
    const char *version = "?";
    size_t sz = sizeof version;
    mallctl("version", &version, &sz, NULL, 0);
    size_t n = strcspn(version, "-"); /* "5.3.0-0-g54eaed1..." -> "5.3.0" */
    snprintf(out, len, "jemalloc %.*s", (int)(n < 32 ? n : 32), version);
  } else if (mi_version) {
    int v = mi_version();
    snprintf(out, len, "mimalloc %d.%d.%d", v / 100, (v / 10) % 10, v % 10);
  } else {
    snprintf(out, len, "glibc %s", gnu_get_libc_version());
  }
}

static void *map_anon(size_t bytes) {
  void *p = mmap(NULL, bytes ? bytes : PAGE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

static int fail(const char *workload, const char *message) {
  printf("{\"workload\":\"%s\",\"error\":\"%s\"}\n", workload, message);
  return 1;
}

/* ----- small-pairs ----------------------------------------------------------------------- */

/* The cycling size sequence shared with bench/lib/workloads.ts: 16 + (i * 97) mod 497, i.e.
   every size 16..512 once per 497 pairs, in a scrambled order. */
#define NSIZES 497
static size_t sizes[NSIZES];
static void *volatile sink;

static double pairs_mixed(long n) {
  int j = 0;
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    void *p = malloc(sizes[j]);
    sink = p;
    free(p);
    if (++j == NSIZES) j = 0;
  }
  return now_ns() - t0;
}

static double pairs_fixed(long n, size_t size) {
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    void *p = malloc(size);
    sink = p;
    free(p);
  }
  return now_ns() - t0;
}

static long calibrate(double (*run)(long, size_t), size_t arg, double min_ns) {
  long n = 1000;
  while (run(n, arg) < min_ns && n < (1L << 40)) n *= 2;
  return n;
}

static double run_mixed(long n, size_t unused) {
  (void)unused;
  return pairs_mixed(n);
}

static void print_series(const char *name, const double *xs, int reps) {
  printf("\"%s\":[", name);
  for (int r = 0; r < reps; r++) printf("%s%.4f", r ? "," : "", xs[r]);
  printf("]");
}

static int small_pairs(int reps, double min_ms, const char *impl) {
  for (int i = 0; i < NSIZES; i++) sizes[i] = 16 + (size_t)((i * 97) % NSIZES);
  if (reps < 1 || reps > 1000) return fail("small-pairs", "bad REPS");
  double mixed[1000], fixed[1000];
  long n_mixed = calibrate(run_mixed, 0, min_ms * 1e6);
  long n_fixed = calibrate(pairs_fixed, 64, min_ms * 1e6);
  for (int r = 0; r < reps; r++) {
    mixed[r] = pairs_mixed(n_mixed) / (double)n_mixed;
    fixed[r] = pairs_fixed(n_fixed, 64) / (double)n_fixed;
  }
  printf("{\"workload\":\"small-pairs\",\"impl\":\"%s\",\"iterations_mixed\":%ld,"
         "\"iterations_64\":%ld,",
         impl, n_mixed, n_fixed);
  print_series("ns_per_pair_mixed", mixed, reps);
  printf(",");
  print_series("ns_per_pair_64", fixed, reps);
  printf("}\n");
  return 0;
}

/* ----- trace replay (churn, large-purge) ------------------------------------------------- */

struct trace {
  uint32_t nlive, nops, min_size, max_size, seed;
  const uint32_t *warm; /* nlive sizes */
  const uint32_t *ops;  /* nops pairs (victim slot, new size) */
};

static int open_trace(const char *path, struct trace *t) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < (off_t)TRACE_HEADER_BYTES) {
    close(fd);
    return -1;
  }
  const uint32_t *h =
      mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  close(fd);
  if (h == MAP_FAILED) return -1;
  if (h[0] != TRACE_MAGIC || h[1] != TRACE_VERSION) return -1;
  t->nlive = h[2];
  t->nops = h[3];
  t->min_size = h[4];
  t->max_size = h[5];
  t->seed = h[6];
  uint64_t need = TRACE_HEADER_BYTES + 4ull * t->nlive + 8ull * t->nops;
  if ((uint64_t)st.st_size < need) return -1;
  t->warm = h + TRACE_HEADER_BYTES / 4;
  t->ops = t->warm + t->nlive;
  return 0;
}

static inline void touch(char *p, uint32_t size, char value) {
  volatile char *q = p;
  for (uint32_t off = 0; off < size; off += PAGE) q[off] = value;
}

static int replay(const char *workload, const char *path, uint32_t ops_limit, const char *impl) {
  int purge = strcmp(workload, "large-purge") == 0;
  struct trace t;
  if (open_trace(path, &t) != 0) return fail(workload, "cannot read trace file");
  uint32_t nops = ops_limit && ops_limit < t.nops ? ops_limit : t.nops;
  char **slots = map_anon(sizeof(char *) * t.nlive);
  uint32_t *live_size = map_anon(sizeof(uint32_t) * t.nlive);
  if (!slots || !live_size) return fail(workload, "mmap failed");

  /* Pre-pass (not timed): live bytes over the trace, where they peak. */
  double live = 0, peak_live = 0;
  uint32_t peak_at = 0; /* ops completed when live bytes peak; 0 = end of warm-up */
  for (uint32_t i = 0; i < t.nlive; i++) live += (live_size[i] = t.warm[i]);
  peak_live = live;
  for (uint32_t k = 0; k < nops; k++) {
    uint32_t v = t.ops[2 * k], s = t.ops[2 * k + 1];
    live += (double)s - (double)live_size[v];
    live_size[v] = s;
    if (live > peak_live) {
      peak_live = live;
      peak_at = k + 1;
    }
  }
  uint32_t every = nops / SAMPLES ? nops / SAMPLES : 1;

  long baseline_kb = resident_kb();
  long peak_kb = baseline_kb, at_peak_kb = 0;

  double t0 = now_ns();
  for (uint32_t i = 0; i < t.nlive; i++) {
    char *p = malloc(t.warm[i]);
    if (!p) return fail(workload, "malloc failed");
    touch(p, t.warm[i], 1);
    slots[i] = p;
  }
  double warm_ns = now_ns() - t0;
  long rss = resident_kb();
  if (rss > peak_kb) peak_kb = rss;
  if (peak_at == 0) at_peak_kb = rss;

  double sampling_ns = 0, first_ns = 0;
  uint32_t first_ops = nops < FIRST_OPS ? nops : FIRST_OPS;
  t0 = now_ns();
  for (uint32_t k = 0; k < nops; k++) {
    uint32_t v = t.ops[2 * k], s = t.ops[2 * k + 1];
    free(slots[v]);
    char *p = malloc(s);
    if (!p) return fail(workload, "malloc failed");
    touch(p, s, (char)k);
    slots[v] = p;
    if (k + 1 == peak_at || (k + 1) % every == 0) {
      double s0 = now_ns();
      rss = resident_kb();
      if (rss > peak_kb) peak_kb = rss;
      if (k + 1 == peak_at) at_peak_kb = rss;
      sampling_ns += now_ns() - s0;
    }
    if (k + 1 == first_ops) first_ns = now_ns() - t0 - sampling_ns;
  }
  double ops_ns = now_ns() - t0 - sampling_ns;

  long end_kb, hwm_kb;
  read_resident(&end_kb, &hwm_kb);
  if (end_kb > peak_kb) peak_kb = end_kb;

  long after_kb = -1;
  double free_all_ns = 0;
  if (purge) {
    t0 = now_ns();
    for (uint32_t i = 0; i < t.nlive; i++) free(slots[i]);
    free_all_ns = now_ns() - t0;
    after_kb = resident_kb();
  }

  printf("{\"workload\":\"%s\",\"impl\":\"%s\",\"nlive\":%u,\"ops\":%u,\"seed\":%u,"
         "\"ns_per_op\":%.3f,\"warm_ns_per_alloc\":%.3f,\"peak_live_bytes\":%.0f,"
         "\"peak_at_op\":%u,\"baseline_kb\":%ld,\"peak_kb\":%ld,\"at_peak_kb\":%ld,"
         "\"hwm_kb\":%ld,\"end_kb\":%ld,\"after_kb\":%ld,\"free_all_ns\":%.0f,"
         "\"first_ops\":%u,\"first_ns_per_op\":%.3f}\n",
         workload, impl, t.nlive, nops, t.seed, nops ? ops_ns / nops : 0.0,
         warm_ns / t.nlive, peak_live, peak_at, baseline_kb, peak_kb, at_peak_kb, hwm_kb,
         end_kb, after_kb, free_all_ns, first_ops, first_ops ? first_ns / first_ops : 0.0);
  return 0;
}

int main(int argc, char **argv) {
  char impl[64];
  impl_name(impl, sizeof impl);
  if (argc == 4 && strcmp(argv[1], "small-pairs") == 0)
    return small_pairs(atoi(argv[2]), atof(argv[3]), impl);
  if (argc == 4 && (strcmp(argv[1], "churn") == 0 || strcmp(argv[1], "large-purge") == 0))
    return replay(argv[1], argv[2], (uint32_t)strtoul(argv[3], NULL, 10), impl);
  fprintf(stderr,
          "usage: replay small-pairs REPS MIN_MS\n"
          "       replay churn|large-purge TRACE OPS_LIMIT\n");
  return 2;
}
