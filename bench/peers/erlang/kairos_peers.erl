%% The Erlang/OTP side of bench/compare.sh: the five peer benchmarks in one
%% module, measuring what peers_caf measures (see bench/peers/caf/peers.cpp).
%%
%%   erl -noshell -pa DIR -run kairos_peers main BENCH [N]
%%   (spawn needs `erl +P 4000000`: the tree keeps about a million alive)
%%
%% Prints one line, timed inside the VM (its start-up is not counted):
%%   bench=B runtime=erlang n=N seconds=S rate=N/S rss_mb=VmHWM
-module(kairos_peers).
-export([main/1]).

main([Bench]) -> main([Bench, "0"]);
main([Bench, Size]) ->
    N = case string:to_integer(Size) of
            {I, ""} when I > 0 -> I;
            _ -> full_size(Bench)
        end,
    {Done, Micros} = run(Bench, N),
    Seconds = Micros / 1.0e6,
    io:format("bench=~s runtime=erlang n=~b seconds=~.4f rate=~b rss_mb=~.1f~n",
              [Bench, Done, Seconds, round(Done / Seconds), peak_rss_mib()]),
    halt(0);
main(_) ->
    io:format(standard_error, "usage: kairos_peers main BENCH [N]~n", []),
    halt(2).

full_size("pingpong") -> 2000000;
full_size("timers") -> 100000;
full_size(_) -> 1000000.

%% {what was done (the n of the result line), microseconds it took}.
run("pingpong", N) ->
    Rounds = max(N div 2, 1),
    timed(fun() ->
        Other = spawn(fun bouncer/0),
        Main = self(),
        spawn(fun() -> serve(Other, Rounds), Main ! finished end),
        receive finished -> exit(Other, kill) end,
        2 * Rounds
    end);
run("fanout", N) ->
    timed(fun() ->
        Main = self(),
        Tally = spawn(fun() -> tally(N, Main) end),
        spawn(fun() -> flood(Tally, N) end),
        receive finished -> N end
    end);
run("ring", N) ->
    Main = self(),
    Ring = [spawn(fun() -> member(Main) end) || _ <- lists:seq(1, 1000)],
    [First | _] = Ring,
    link_ring(Ring, First),
    %% Only the token's trip counts, not building the ring.
    Result = timed(fun() -> First ! {hops, N}, receive finished -> N end end),
    [exit(P, kill) || P <- Ring],
    Result;
run("spawn", N) ->
    {Leaves, Procs} = tree_size(N, 1, 1),
    Main = self(),
    {Sum, Micros} = timed(fun() ->
        spawn(fun() -> skynet(Main, 0, Leaves) end),
        receive {sum, S} -> S end
    end),
    case Leaves * (Leaves - 1) div 2 of
        Sum -> {Procs, Micros};
        Want -> io:format(standard_error, "skynet summed ~b, expected ~b~n", [Sum, Want]),
                halt(1)
    end;
run("timers", N) ->
    timed(fun() ->
        Main = self(),
        Tally = spawn(fun() -> tally(N, Main) end),
        [spawn(fun() -> sleeper(Tally) end) || _ <- lists:seq(1, N)],
        receive finished -> N end
    end);
run(Bench, _) ->
    io:format(standard_error, "kairos_peers: unknown benchmark '~s'~n", [Bench]),
    halt(2).

timed(F) ->
    T0 = erlang:monotonic_time(microsecond),
    Done = F(),
    {Done, erlang:monotonic_time(microsecond) - T0}.

%% pingpong: the ball carries the round trips still to play.
bouncer() ->
    receive {From, Left} -> From ! Left, bouncer() end.

serve(Other, Left) ->
    Other ! {self(), Left},
    receive
        1 -> ok;
        L -> serve(Other, L - 1)
    end.

%% Counts Expected messages, then tells Main.
tally(0, Main) -> Main ! finished;
tally(Expected, Main) -> receive _ -> tally(Expected - 1, Main) end.

flood(_, 0) -> ok;
flood(Target, K) -> Target ! 0, flood(Target, K - 1).

%% ring: each member is told its successor, then passes the token on.
link_ring([Last], First) -> Last ! {successor, First};
link_ring([P, Next | Rest], First) -> P ! {successor, Next}, link_ring([Next | Rest], First).

member(Main) -> receive {successor, Next} -> pass(Next, Main) end.

pass(Next, Main) ->
    receive
        {hops, 0} -> Main ! finished;
        {hops, H} -> Next ! {hops, H - 1}
    end,
    pass(Next, Main).

%% spawn (skynet): leaves report their number, parents the sum of their ten.
tree_size(Want, Leaves, Procs) when Leaves >= Want -> {Leaves, Procs};
tree_size(Want, Leaves, Procs) -> tree_size(Want, Leaves * 10, Procs + Leaves * 10).

skynet(Parent, First, 1) -> Parent ! {sum, First};
skynet(Parent, First, Leaves) ->
    Self = self(),
    Per = Leaves div 10,
    [spawn(fun() -> skynet(Self, First + C * Per, Per) end) || C <- lists:seq(0, 9)],
    Parent ! {sum, add_up(10, 0)}.

add_up(0, Sum) -> Sum;
add_up(K, Sum) -> receive {sum, S} -> add_up(K - 1, Sum + S) end.

%% timers: a 1 ms timer to itself, then one message to the tally.
sleeper(Tally) ->
    erlang:send_after(1, self(), alarm),
    receive alarm -> Tally ! fired end.

peak_rss_mib() ->
    case file:read_file("/proc/self/status") of
        {ok, Status} ->
            case re:run(Status, "VmHWM:\\s+([0-9]+)", [{capture, all_but_first, list}]) of
                {match, [Kb]} -> list_to_integer(Kb) / 1024;
                nomatch -> -1.0
            end;
        _ -> -1.0
    end.
