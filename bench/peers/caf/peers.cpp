// The CAF (0.17, Debian's libcaf-dev) side of bench/compare.sh: the five
// peer benchmarks, in one program.
//
//   peers_caf BENCH [N]      BENCH: pingpong fanout ring spawn timers
//                            N: size (0 or absent: the full size below)
//
// Prints one line in kairos-bench's format, timed from the first spawn of
// the benchmark to its last message (the actor system's start-up is not
// counted): bench=B runtime=caf n=N seconds=S rate=N/S rss_mb=VmHWM
//
//   pingpong  N one-way messages between two actors (N/2 round trips)
//   fanout    one actor sends N messages to a counting actor
//   ring      a token makes N hops around a ring of 1000 actors (built
//             before the clock starts)
//   spawn     skynet: a 10-ary tree of actors down to >= N leaves, each
//             parent summing its children; n = actors spawned
//   timers    N actors each wait for a 1 ms delayed message to themselves
#include <caf/all.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace caf;

namespace {

using fired_atom = atom_constant<atom("fired")>;

// Scheduler threads: one per core, as the BEAM runs one scheduler per core
// (CAF's default would be at least 4). CAF_THREADS=N overrides it; 0 leaves
// CAF's default.
struct bench_config : actor_system_config {
  bench_config() {
    long threads = static_cast<long>(std::thread::hardware_concurrency());
    if (const char* env = std::getenv("CAF_THREADS"))
      threads = std::strtol(env, nullptr, 10);
    if (threads > 0)
      set("scheduler.max-threads", static_cast<size_t>(threads));
  }
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// VmHWM of this process in MiB (-1 when /proc is not there).
double peak_rss_mib() {
  FILE* status = std::fopen("/proc/self/status", "r");
  if (!status)
    return -1;
  char line[256];
  double mib = -1;
  while (std::fgets(line, sizeof line, status))
    if (std::strncmp(line, "VmHWM:", 6) == 0)
      mib = std::strtod(line + 6, nullptr) / 1024.0;
  std::fclose(status);
  return mib;
}

void print_result(const char* bench, long n, double seconds) {
  std::printf("bench=%s runtime=caf n=%ld seconds=%.4f rate=%.0f rss_mb=%.1f\n", bench, n,
              seconds, static_cast<double>(n) / seconds, peak_rss_mib());
  std::fflush(stdout);
}

// --- pingpong: the ball carries the round trips still to play -------------
behavior bouncer(event_based_actor*) {
  return {[](long left) { return left; }};  // returned: goes back to the sender
}

behavior server(event_based_actor* self, actor other, long rounds, actor done) {
  self->send(other, rounds);
  return {[=](long left) {
    if (left > 1) {
      self->send(other, left - 1);
      return;
    }
    self->send(done, fired_atom::value);
    self->quit();
  }};
}

long run_pingpong(actor_system& sys, scoped_actor& main_actor, long n) {
  long rounds = n / 2 > 0 ? n / 2 : 1;
  auto other = sys.spawn(bouncer);
  sys.spawn(server, other, rounds, actor{main_actor});
  main_actor->receive([](fired_atom) {});
  anon_send_exit(other, exit_reason::user_shutdown);
  return 2 * rounds;
}

// --- fanout -----------------------------------------------------------------
behavior tally(stateful_actor<long>* self, long expected, actor done) {
  return {[=](int) {
    if (++self->state < expected)
      return;
    self->send(done, fired_atom::value);
    self->quit();
  }};
}

void flood(event_based_actor* self, actor target, long count) {
  for (long i = 0; i < count; i++)
    self->send(target, 0);
}

long run_fanout(actor_system& sys, scoped_actor& main_actor, long n) {
  auto target = sys.spawn(tally, n, actor{main_actor});
  sys.spawn(flood, target, n);
  main_actor->receive([](fired_atom) {});
  return n;
}

// --- ring -------------------------------------------------------------------
// A ring member learns its successor from its first message (an actor),
// then passes the token on, one hop fewer each time, until none are left.
behavior member(stateful_actor<actor>* self, actor done) {
  return {
    [=](actor successor) { self->state = std::move(successor); },
    [=](long hops_left) {
      if (hops_left > 0)
        self->send(self->state, hops_left - 1);
      else
        self->send(done, fired_atom::value);
    },
  };
}

constexpr int ring_members = 1000;

long run_ring(actor_system& sys, scoped_actor& main_actor, long n,
              std::chrono::steady_clock::time_point& start) {
  std::vector<actor> ring;
  ring.reserve(ring_members);
  for (int i = 0; i < ring_members; i++)
    ring.push_back(sys.spawn(member, actor{main_actor}));
  for (int i = 0; i < ring_members; i++)
    anon_send(ring[i], ring[(i + 1) % ring_members]);
  start = std::chrono::steady_clock::now();  // only the token's trip counts
  anon_send(ring[0], n);
  main_actor->receive([](fired_atom) {});
  for (auto& m : ring)
    anon_send_exit(m, exit_reason::user_shutdown);
  return n;
}

// --- spawn (skynet) -----------------------------------------------------------
struct subtree {
  long sum = 0;
  int waiting = 10;
};

behavior skynet(stateful_actor<subtree>* self, long first, long leaves, actor parent) {
  if (leaves == 1) {
    self->send(parent, first);
    self->quit();
    return {};
  }
  long per_child = leaves / 10;
  for (long c = 0; c < 10; c++)
    self->spawn(skynet, first + c * per_child, per_child, actor{self});
  return {[=](long part) {
    self->state.sum += part;
    if (--self->state.waiting > 0)
      return;
    self->send(parent, self->state.sum);
    self->quit();
  }};
}

long run_spawn(actor_system& sys, scoped_actor& main_actor, long n) {
  long leaves = 1, actors = 1;
  while (leaves < n) {
    leaves *= 10;
    actors += leaves;
  }
  sys.spawn(skynet, 0L, leaves, actor{main_actor});
  long sum = -1;
  main_actor->receive([&](long total) { sum = total; });
  if (sum != leaves * (leaves - 1) / 2) {
    std::fprintf(stderr, "peers_caf: skynet summed %ld, expected %ld\n", sum,
                 leaves * (leaves - 1) / 2);
    std::exit(1);
  }
  return actors;
}

// --- timers ---------------------------------------------------------------------
using alarm_atom = atom_constant<atom("alarm")>;

behavior sleeper(event_based_actor* self, actor tally_actor) {
  self->delayed_send(self, std::chrono::milliseconds(1), alarm_atom::value);
  return {[=](alarm_atom) {
    self->send(tally_actor, 0);
    self->quit();
  }};
}

long run_timers(actor_system& sys, scoped_actor& main_actor, long n) {
  auto counter = sys.spawn(tally, n, actor{main_actor});
  // Spawned from here, not from one parent actor: CAF 0.17's work stealing
  // copes badly with a single actor spawning 100k children.
  for (long i = 0; i < n; i++)
    sys.spawn(sleeper, counter);
  main_actor->receive([](fired_atom) {});
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: peers_caf pingpong|fanout|ring|spawn|timers [N]\n");
    return 2;
  }
  std::string bench = argv[1];
  long n = argc == 3 ? std::strtol(argv[2], nullptr, 10) : 0;
  long full = bench == "pingpong" ? 2000000 : bench == "timers" ? 100000 : 1000000;
  if (n <= 0)
    n = full;
  bench_config cfg;
  actor_system sys{cfg};
  scoped_actor main_actor{sys};
  auto start = std::chrono::steady_clock::now();
  long done;
  if (bench == "pingpong")
    done = run_pingpong(sys, main_actor, n);
  else if (bench == "fanout")
    done = run_fanout(sys, main_actor, n);
  else if (bench == "ring")
    done = run_ring(sys, main_actor, n, start);
  else if (bench == "spawn")
    done = run_spawn(sys, main_actor, n);
  else if (bench == "timers")
    done = run_timers(sys, main_actor, n);
  else {
    std::fprintf(stderr, "peers_caf: unknown benchmark '%s'\n", bench.c_str());
    return 2;
  }
  print_result(bench.c_str(), done, seconds_since(start));
  return 0;
}
