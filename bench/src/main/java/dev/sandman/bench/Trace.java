package dev.sandman.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * A seeded, synthetic but realistic day of activity: each sandbox's user works in sessions of bursty
 * activity (an action every 10 s to 2 min), separated by idle gaps of varied length: some just under
 * the 10-minute idle timeout (a coffee), most well over (meetings, lunch, the night); some users
 * return after a pause, some never. Times are whole seconds from the start of the day.
 */
final class Trace {
  static final int DAY = 24 * 3600;

  record Event(int second, int sandbox) {}

  final int sandboxes;
  final List<int[]> activity; // per sandbox, sorted seconds
  final List<Event> events;   // all, sorted by time

  private Trace(int sandboxes, List<int[]> activity, List<Event> events) {
    this.sandboxes = sandboxes;
    this.activity = activity;
    this.events = events;
  }

  /** The sandboxes {@code [from, to)} of this trace, renumbered from 0. */
  Trace slice(int from, int to) {
    List<Event> sliced = new ArrayList<>();
    for (Event event : events) {
      if (event.sandbox() >= from && event.sandbox() < to) {
        sliced.add(new Event(event.second(), event.sandbox() - from));
      }
    }
    return new Trace(to - from, List.copyOf(activity.subList(from, to)), sliced);
  }

  static Trace generate(long seed, int sandboxes) {
    Random random = new Random(seed);
    List<int[]> activity = new ArrayList<>();
    List<Event> events = new ArrayList<>();
    for (int s = 0; s < sandboxes; s++) {
      List<Integer> times = new ArrayList<>();
      int t = random.nextInt(8 * 3600); // first session starts in the first 8 hours
      boolean neverReturns = random.nextDouble() < 0.15;
      while (t < DAY) {
        int sessionEnd = t + 300 + random.nextInt(90 * 60); // 5 to 95 minutes of work
        while (t < Math.min(sessionEnd, DAY)) {
          times.add(t);
          t += 10 + random.nextInt(110); // an action every 10 s to 2 min
        }
        if (neverReturns) {
          break;
        }
        double gap = random.nextDouble();
        if (gap < 0.20) {
          t += 480 + random.nextInt(110);           // just under the idle timeout: 8 to ~9.8 min
        } else if (gap < 0.30) {
          t += 610 + random.nextInt(600);           // just over: 10 to 20 min
        } else if (gap < 0.85) {
          t += 20 * 60 + random.nextInt(100 * 60);  // a meeting, lunch: 20 min to 2 h
        } else {
          t += 3 * 3600 + random.nextInt(9 * 3600); // gone for hours
        }
      }
      for (int i = 1; i < times.size(); i++) {
        if (times.get(i) - times.get(i - 1) == 600) {
          times.set(i, times.get(i) + 1); // never exactly at the idle deadline: a tie with the timer is no user's behaviour
        }
      }
      int[] sorted = times.stream().filter(x -> x < DAY).mapToInt(Integer::intValue).toArray();
      activity.add(sorted);
      for (int second : sorted) {
        events.add(new Event(second, s));
      }
    }
    events.sort(Comparator.comparingInt(Event::second).thenComparingInt(Event::sandbox));
    return new Trace(sandboxes, activity, events);
  }
}
