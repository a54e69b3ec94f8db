// Evolve: applies one stored event to the write model; never fails.
//
// An event that was stored is always applied (events are facts). After each
// apply, the invariants touched by the event are TRANCHE_CHECKed in O(years of
// the touched programme and cluster + log tranches); replay defers that check
// to the end of each batch (EvolveDeferringClusterCheck). CheckInvariants
// re-derives every invariant from scratch. Payment references are checked
// unique within the cluster on apply; uniqueness across clusters is a Decide
// rule and is verified by CheckInvariants.
//
// Thread-safety: writes `state`; the caller owns it exclusively.
#pragma once

#include <string_view>

#include "core/decider.h"
#include "core/events.h"
#include "core/state.h"
#include "core/status.h"

namespace tranche::core {

// Applies `event` (whose stream must be EventStream(event); TRANCHE_CHECKed)
// and bumps that stream's version: the first event of a stream gives version 0.
void Evolve(State& state, const DomainEvent& event);
void Evolve(State& state, std::string_view stream, const Event& event);

// For replay: Evolve without the cluster check after the event (every other
// TRANCHE_CHECK of the apply still runs), returning the id of the cluster it
// touched ("" for a programme event; a view into `event`). The caller must
// run CheckClusterInvariants on each touched cluster before the state is
// read; ReplayLog does so after each batch of events, so a valid log is
// checked at every batch boundary instead of after every event.
std::string_view EvolveDeferringClusterCheck(State& state, std::string_view stream,
                                             const Event& event);

// Everything, recomputed (O(state)): per programme and year Σ awards ==
// awarded ≤ envelope; per cluster and year 0 ≤ net paid ≤ award and net paid
// == Σ unreversed tranches; every tranche inside its financial year; payment
// references unique across clusters; awards only on awarded clusters; each
// cluster listed by its programme. Errors: kInternal, reason
// "invariant_violated", message naming the broken invariant.
Status CheckInvariants(const State& state);

// The cheap subset Evolve asserts after touching one cluster (and its programme).
Status CheckClusterInvariants(const State& state, std::string_view cluster_id);

}  // namespace tranche::core
