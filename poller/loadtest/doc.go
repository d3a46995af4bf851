// Package loadtest holds snowduty's load benchmarks (`make bench`) and its
// chaos soak (`make soak`): the real poller and the real daemon binary run
// against both simulators served on loopback and a real redis-server, and
// the figures they measure are the ones docs/benchmarks.md and
// docs/reliability.md report. The package has no API; everything lives in
// its tests.
package loadtest
