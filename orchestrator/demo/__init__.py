"""`makima demo`: a sample goal taken all the way to a pull request on this machine.

- `sample`: the sample repository (a bare `origin.git` seeded with the `textkit` package);
- `sample_code` and `plan`: the directive, its four steps and the code the scripted agent
  writes (one step fails its tests on the first attempt and is reworked);
- `progress`: the progress view as a pure function of what the API answers;
- `terminal`: that view redrawn in place on a TTY, or appended as plain lines;
- `follow`: polling the API until the directive has a pull request or stops short;
- `merged`: the package's tests run on a clone of the merged branch;
- `preflight`: what must be installed before anything starts;
- `runner`: the whole run, from the stack to the final report.
"""
