// views_bench: figures for the read side (docs/benchmarks.md, "Views").
//   1. catch-up of the case-file and person-index projections together, from a log of
//      generated cases written as a live hub writes them (--open cases in progress at once, one
//      event per append, interleaved), both folding concurrently as in hubd;
//   2. person lookup p50/p99 with --persons (default 1,000,000) persons indexed, by NHS number
//      and by name + date of birth;
//   3. view query p50/p99 over gRPC on loopback (ViewsService.GetCase) including the agreement's
//      evaluation, the redaction and the synced disclosure append.
// Figures, not a test: not registered with ctest. Run with `--target views_bench` then
// ./build/tests/bench/views_bench [--cases=12000] [--open=2000] [--persons=1000000]
//     [--queries=2000] [--dir=PATH] [--figures=catchup,lookup,view] [--batch=1024] [--detail]
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/clock.h"
#include "eventstore/kv_store.h"
#include "eventstore/rocksdb/rocksdb_event_log.h"
#include "grpcpp/grpcpp.h"
#include "hub/api/v1/views_service.grpc.pb.h"
#include "hub/events/v1/events.pb.h"
#include "policy/agreement.h"
#include "projections/case_file/case_file.h"
#include "projections/engine/projection.h"
#include "projections/person_index/person_index.h"
#include "services/common/authenticator.h"
#include "config/partnership.h"
#include "services/views/views_service.h"

namespace hub::bench {
namespace {

namespace cv1 = ::hub::common::v1;
namespace ev = ::hub::events::v1;
namespace api = ::hub::api::v1;

struct Flags {
  int cases = 12000;
  int persons = 1000000;
  int queries = 2000;
  int open = 2000;  // cases in progress at once in the catch-up log
  std::string figures = "catchup,lookup,view";
  int batch = projections::EngineOptions().batch_size;  // as hubd folds them
  bool detail = false;  // store time per projection, and each projection alone
  std::string dir = HUB_BENCH_DEFAULT_DIR;
  std::string source_dir = HUB_SOURCE_DIR;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

std::string Nhs(int64_t n) {
  // A 9-digit stem and its mod-11 check digit; stems whose check digit would be 10 are skipped
  // by the caller.
  std::string stem = absl::StrCat(400000000 + n);
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (stem[i] - '0') * (10 - i);
  int check = 11 - sum % 11;
  if (check == 11) check = 0;
  if (check == 10) return "";
  return absl::StrCat(stem, check);
}

// occurred_at is stamped when the event is appended (see AppendInterleaved).
ev::Event Envelope(const std::string& agency, cv1::AgencyKind kind) {
  ev::Event e;
  e.mutable_actor()->set_agency_id(agency);
  e.mutable_actor()->set_agency_kind(kind);
  e.mutable_actor()->set_user_id("bench");
  return e;
}

void Append(eventstore::EventLog& log, const std::string& stream, std::vector<ev::Event> events) {
  eventstore::AppendRequest request;
  request.stream = stream;
  for (ev::Event& e : events) {
    eventstore::NewEvent stored;
    const auto* field = ev::Event::descriptor()->FindFieldByNumber(e.payload_case());
    stored.type = field->message_type()->name();
    stored.payload = e.SerializeAsString();
    request.events.push_back(std::move(stored));
  }
  auto result = log.Append(std::move(request));
  if (!result.ok()) {
    std::cerr << "append " << stream << ": " << result.status() << "\n";
    std::exit(1);
  }
}

cv1::AdultDetails Details(int64_t i, const std::string& nhs) {
  static const char* kGiven[] = {"Doreen", "Albert", "Margaret", "Idris", "Sunita", "Tomasz",
                                 "Grace", "Kwame", "Elsie", "Patrick"};
  static const char* kFamily[] = {"Ashworth", "Okafor", "Nowak", "Patel", "Hughes", "Byrne",
                                  "Campbell", "Mensah", "Wright", "Kowalski", "Evans", "Ali"};
  cv1::AdultDetails d;
  d.mutable_name()->set_given(kGiven[i % 10]);
  d.mutable_name()->set_family(absl::StrCat(kFamily[(i / 10) % 12], i / 120));
  d.mutable_date_of_birth()->set_year(1930 + static_cast<int>(i % 70));
  d.mutable_date_of_birth()->set_month(1 + static_cast<int>(i % 12));
  d.mutable_date_of_birth()->set_day(1 + static_cast<int>(i % 28));
  d.mutable_address()->add_lines(absl::StrCat(i % 200, " Larkspur Row"));
  d.mutable_address()->set_postcode(absl::StrCat("NS", i % 9 + 1, " ", i % 10, "QT"));
  d.set_gender(i % 2 ? cv1::GENDER_FEMALE : cv1::GENDER_MALE);
  d.set_ethnicity_group(cv1::ETHNICITY_GROUP_WHITE);
  d.set_primary_support_reason(cv1::PRIMARY_SUPPORT_REASON_PHYSICAL);
  if (!nhs.empty()) {
    cv1::Identifier* id = d.add_identifiers();
    id->set_kind(cv1::IDENTIFIER_KIND_NHS_NUMBER);
    id->set_value(nhs);
  }
  return d;
}

// One event of a case and the stream it is appended to.
struct Step {
  std::string stream;
  ev::Event event;
};

// One whole case in causal order: person registered and linked, concern raised through the
// threshold decision, enquiry opened through conclusion (15 events on three streams).
std::vector<Step> CaseSteps(int64_t i) {
  const std::string nhs = Nhs(i);
  const std::string person = absl::StrCat("p-", i);
  const std::string concern = absl::StrCat("c-", i);
  const std::string enquiry = absl::StrCat("e-", i);
  const std::string person_stream = absl::StrCat("person-", person);
  const std::string concern_stream = absl::StrCat("concern-", concern);
  const std::string enquiry_stream = absl::StrCat("enquiry-", enquiry);
  const cv1::AdultDetails details = Details(i, nhs);
  auto asc = [] { return Envelope("asc-northshire", cv1::AGENCY_KIND_ADULT_SOCIAL_CARE); };
  std::vector<Step> steps;

  ev::Event registered = asc();
  registered.mutable_person_registered()->set_person_id(person);
  *registered.mutable_person_registered()->mutable_details() = details;
  steps.push_back({person_stream, std::move(registered)});
  ev::Event linked = asc();
  linked.mutable_person_concern_linked()->set_person_id(person);
  linked.mutable_person_concern_linked()->set_concern_id(concern);
  linked.mutable_person_concern_linked()->set_episode(1);
  steps.push_back({person_stream, std::move(linked)});

  ev::Event raised = Envelope("police-northshire", cv1::AGENCY_KIND_POLICE);
  ev::ConcernRaised* r = raised.mutable_concern_raised();
  r->set_concern_id(concern);
  r->set_person_id(person);
  *r->mutable_adult() = details;
  r->set_episode(1);
  cv1::ConcernDetails* d = r->mutable_details();
  d->set_what_happened(
      "PPN: neighbour heard shouting; the lodger takes her pension each week and she is "
      "frightened to say so in front of him. Door answered by the lodger.");
  d->add_types_of_risk(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE);
  d->set_location_of_risk(cv1::LOCATION_OF_RISK_OWN_HOME);
  d->mutable_referrer()->set_name("PC 2210 Nash");
  d->mutable_consent()->set_status(cv1::CONSENT_STATUS_DECLINED);
  d->mutable_consent()->add_override_grounds(cv1::OVERRIDE_GROUND_SERIOUS_CRIME);
  cv1::DesiredOutcome* o = d->add_desired_outcomes();
  o->set_outcome_id(absl::StrCat("o-", i));
  o->set_text("I want him to leave.");
  steps.push_back({concern_stream, std::move(raised)});
  ev::Event triaged = asc();
  triaged.mutable_concern_triaged()->set_rating(cv1::RAG_RATING_AMBER);
  triaged.mutable_concern_triaged()->set_rationale("Ongoing financial abuse");
  steps.push_back({concern_stream, std::move(triaged)});
  for (const char* agency : {"gp-riverside", "police-northshire"}) {
    ev::Event asked = asc();
    asked.mutable_research_requested()->set_request_id(absl::StrCat("r-", agency, i));
    asked.mutable_research_requested()->set_agency_id(agency);
    asked.mutable_research_requested()->set_questions("What do you hold?");
    steps.push_back({concern_stream, std::move(asked)});
  }
  ev::Event gp = Envelope("gp-riverside", cv1::AGENCY_KIND_GP);
  gp.mutable_research_answered()->set_request_id(absl::StrCat("r-gp-riverside", i));
  gp.mutable_research_answered()->set_agency_id("gp-riverside");
  gp.mutable_research_answered()->set_answer("Moderate learning disability; missed appointments.");
  steps.push_back({concern_stream, std::move(gp)});
  ev::Event police = Envelope("police-northshire", cv1::AGENCY_KIND_POLICE);
  police.mutable_research_answered()->set_request_id(absl::StrCat("r-police-northshire", i));
  police.mutable_research_answered()->set_agency_id("police-northshire");
  police.mutable_research_answered()->set_answer("Lodger known for theft from vulnerable adults.");
  police.mutable_research_answered()->add_markings(cv1::HANDLING_MARKING_MASH_DECISION_MAKERS_ONLY);
  steps.push_back({concern_stream, std::move(police)});
  ev::Event decided = asc();
  decided.mutable_threshold_decision_made()->set_route(cv1::THRESHOLD_ROUTE_S42_ENQUIRY);
  decided.mutable_threshold_decision_made()->set_enquiry_id(enquiry);
  decided.mutable_threshold_decision_made()->set_rationale("Cannot protect her money.");
  steps.push_back({concern_stream, std::move(decided)});

  ev::Event opened = asc();
  opened.mutable_enquiry_opened()->set_enquiry_id(enquiry);
  opened.mutable_enquiry_opened()->set_concern_id(concern);
  opened.mutable_enquiry_opened()->set_person_id(person);
  opened.mutable_enquiry_opened()->set_type(cv1::ENQUIRY_TYPE_SECTION_42);
  steps.push_back({enquiry_stream, std::move(opened)});
  ev::Event lead = asc();
  lead.mutable_enquiry_lead_assigned()->set_lead_agency_id("asc-northshire");
  lead.mutable_enquiry_lead_assigned()->set_officer_name("Priya Kaur");
  steps.push_back({enquiry_stream, std::move(lead)});
  ev::Event capacity = asc();
  capacity.mutable_capacity_assessed()->set_assessment_id(absl::StrCat("ca-", i));
  capacity.mutable_capacity_assessed()->set_decision("managing her money");
  capacity.mutable_capacity_assessed()->set_finding(cv1::CAPACITY_FINDING_LACKS_CAPACITY);
  steps.push_back({enquiry_stream, std::move(capacity)});
  ev::Event plan = asc();
  cv1::PlanItem* item = plan.mutable_protection_plan_recorded()->add_items();
  item->set_item_id(absl::StrCat("pi-", i));
  item->set_risk("pension taken");
  item->set_action("appointee application");
  item->set_by_agency_id("asc-northshire");
  steps.push_back({enquiry_stream, std::move(plan)});
  ev::Event concluded = asc();
  cv1::ConcludedRisk* risk = concluded.mutable_enquiry_concluded()->add_risks();
  risk->set_type(cv1::TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE);
  risk->set_location(cv1::LOCATION_OF_RISK_OWN_HOME);
  risk->set_source(cv1::SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL);
  concluded.mutable_enquiry_concluded()->set_action_and_result(
      cv1::ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN);
  concluded.mutable_enquiry_concluded()->set_risk_outcome(cv1::RISK_OUTCOME_REDUCED);
  concluded.mutable_enquiry_concluded()->set_capacity(cv1::CAPACITY_ANSWER_LACKED_CAPACITY);
  concluded.mutable_enquiry_concluded()->set_outcomes_asked(cv1::OUTCOMES_ASKED_YES_EXPRESSED);
  steps.push_back({enquiry_stream, std::move(concluded)});
  ev::Event closed = asc();
  closed.mutable_enquiry_closed()->set_reason(cv1::CLOSURE_REASON_OUTCOMES_MET);
  closed.mutable_enquiry_closed()->set_adults_view("I feel safer now.");
  steps.push_back({enquiry_stream, std::move(closed)});
  return steps;
}

// Appends `cases` cases the way a live hub writes them: `open` cases in progress at once, one
// event per append, taken round-robin across the open cases (a finished case's slot goes to
// the next new case), each stamped with a clock that moves forward with every append. A batch
// of 1,024 events thus touches about 1,000 different cases, as it would in production; the
// events of one case stay in their causal order. Returns the events appended.
int64_t AppendInterleaved(eventstore::EventLog& log, int64_t cases, int open) {
  struct Open {
    std::vector<Step> steps;
    size_t next = 0;
  };
  std::vector<Open> window;
  int64_t started = 0;
  while (started < cases && static_cast<int64_t>(window.size()) < open) {
    window.push_back({CaseSteps(started++), 0});
  }
  int64_t appended = 0;
  int64_t seconds = 1767225600;  // 2026 onwards, a few seconds apart
  while (!window.empty()) {
    for (size_t k = 0; k < window.size();) {
      Step& step = window[k].steps[window[k].next++];
      step.event.mutable_occurred_at()->set_seconds(seconds);
      seconds += 7;
      Append(log, step.stream, {std::move(step.event)});
      ++appended;
      if (window[k].next < window[k].steps.size()) {
        ++k;
      } else if (started < cases) {
        window[k] = {CaseSteps(started++), 0};
        ++k;
      } else {
        // The last cases drain: keep the round-robin order of the rest.
        window.erase(window.begin() + static_cast<std::ptrdiff_t>(k));
      }
    }
  }
  return appended;
}

std::unique_ptr<eventstore::EventLog> OpenLog(const std::string& dir, bool sync) {
  eventstore::RocksDbOptions options;
  options.sync = sync;
  auto log = eventstore::OpenRocksDbEventLog(dir, options);
  if (!log.ok()) {
    std::cerr << log.status() << "\n";
    std::exit(1);
  }
  return std::move(*log);
}

std::unique_ptr<eventstore::KvStore> OpenStore(const std::string& dir) {
  auto store = eventstore::OpenRocksDbKvStore(dir, {});
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    std::exit(1);
  }
  return std::move(*store);
}

// Times the store's reads and writes for one projection's worker (not thread-safe).
class TimedStore final : public eventstore::KvStore {
 public:
  explicit TimedStore(eventstore::KvStore& store) : store_(store) {}
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    const absl::Time t = absl::Now();
    auto value = store_.Get(key);
    get_ += absl::Now() - t;
    ++gets_;
    return value;
  }
  absl::Status Write(const eventstore::KvBatch& batch) override {
    const absl::Time t = absl::Now();
    absl::Status status = store_.Write(batch);
    write_ += absl::Now() - t;
    bytes_ += static_cast<int64_t>(batch.bytes());
    puts_ += static_cast<int64_t>(batch.entries().size());
    return status;
  }
  absl::Status Scan(std::string_view begin, std::string_view end,
                    const eventstore::KvVisitor& visit) override {
    return store_.Scan(begin, end, visit);
  }
  absl::Status ScanBackward(std::string_view begin, std::string_view end,
                            const eventstore::KvVisitor& visit) override {
    return store_.ScanBackward(begin, end, visit);
  }
  std::string Summary() const {
    return absl::StrFormat("%d gets %.2f s, %d puts (%d MiB) %.2f s", gets_,
                           absl::ToDoubleSeconds(get_), puts_, bytes_ >> 20,
                           absl::ToDoubleSeconds(write_));
  }

 private:
  eventstore::KvStore& store_;
  absl::Duration get_, write_;
  int64_t gets_ = 0, puts_ = 0, bytes_ = 0;
};

// Folds nothing: what the engine itself costs (reading and decoding the log, checkpoints).
class NullProjection final : public projections::Projection {
 public:
  std::string_view name() const override { return "none"; }
  absl::Status Apply(const eventstore::RecordedEvent&, const ev::Event&,
                     projections::Txn&) override {
    return absl::OkStatus();
  }
};

// Folds `projection` from scratch on a thread of its own (a profile tells the runs apart);
// the seconds from `start` until it is done.
std::thread FoldOnThread(eventstore::EventLog& log, eventstore::KvStore& store,
                         projections::Projection& projection, int batch_size, absl::Time start,
                         double& seconds) {
  return std::thread([&log, &store, &projection, batch_size, start, &seconds] {
    absl::Status status = projections::CatchUp(log, store, projection, /*from_scratch=*/true,
                                               nullptr, batch_size);
    if (!status.ok()) {
      std::cerr << projection.name() << ": " << status << "\n";
      std::exit(1);
    }
    seconds = absl::ToDoubleSeconds(absl::Now() - start);
  });
}

// 1. Both projections folding the same log concurrently, as hubd's engine runs them.
void CatchUpFigure(const Flags& flags, const std::string& work) {
  auto log = OpenLog(work + "/cases-log", false);
  const absl::Time load_start = absl::Now();
  const int64_t events = AppendInterleaved(*log, flags.cases, flags.open);
  std::printf("loaded %d cases, %lld events (%d cases open at once, one event per append) in "
              "%.1f s\n",
              flags.cases, static_cast<long long>(events), flags.open,
              absl::ToDoubleSeconds(absl::Now() - load_start));
  auto store = OpenStore(work + "/cases-views");
  TimedStore case_store(*store), person_store(*store);
  projections::CaseFileProjection cases;
  projections::PersonIndexProjection persons;
  double case_seconds = 0, person_seconds = 0;
  const absl::Time start = absl::Now();
  std::thread t1 = FoldOnThread(*log, case_store, cases, flags.batch, start, case_seconds);
  std::thread t2 = FoldOnThread(*log, person_store, persons, flags.batch, start, person_seconds);
  t1.join();
  t2.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const double rate = static_cast<double>(events) / seconds;
  std::printf("catch-up, case file + person index together (batches of %d): %lld events in "
              "%.2f s = %.0f events/s (target >= 100,000: %s)\n",
              flags.batch, static_cast<long long>(events), seconds, rate,
              rate >= 100000 ? "PASS" : "MISS");
  if (!flags.detail) {
    log->Close();
    return;
  }
  std::printf("  case file done after %.2f s (store: %s)\n  person index after %.2f s (store: "
              "%s)\n",
              case_seconds, case_store.Summary().c_str(), person_seconds,
              person_store.Summary().c_str());
  // Each alone, and a projection that folds nothing.
  NullProjection none;
  projections::CaseFileProjection cases_alone;
  projections::PersonIndexProjection persons_alone;
  for (projections::Projection* projection :
       std::initializer_list<projections::Projection*>{&none, &cases_alone, &persons_alone}) {
    auto alone = OpenStore(absl::StrCat(work, "/alone-", std::string(projection->name())));
    TimedStore timed(*alone);
    double alone_seconds = 0;
    FoldOnThread(*log, timed, *projection, flags.batch, absl::Now(), alone_seconds).join();
    std::printf("  alone: %-12s %.2f s = %.0f events/s (store: %s)\n",
                std::string(projection->name()).c_str(), alone_seconds,
                static_cast<double>(events) / alone_seconds, timed.Summary().c_str());
  }
  log->Close();
}

// 2. Lookups with `persons` persons indexed.
void LookupFigure(const Flags& flags, const std::string& work) {
  auto log = OpenLog(work + "/persons-log", false);
  const absl::Time load_start = absl::Now();
  std::vector<int64_t> indexed;
  for (int64_t i = 0; static_cast<int64_t>(indexed.size()) < flags.persons; ++i) {
    if (!Nhs(i).empty()) indexed.push_back(i);
  }
  // One registration per append (one stream each), from several threads so that the log's
  // group commit carries many appends per write: the load takes seconds, not minutes.
  constexpr int kLoaders = 4;
  std::vector<std::thread> loaders;
  for (int t = 0; t < kLoaders; ++t) {
    loaders.emplace_back([&log, &indexed, t] {
      for (size_t k = t; k < indexed.size(); k += kLoaders) {
        const int64_t i = indexed[k];
        ev::Event e = Envelope("asc-northshire", cv1::AGENCY_KIND_ADULT_SOCIAL_CARE);
        e.mutable_occurred_at()->set_seconds(1767225600 + i);
        e.mutable_person_registered()->set_person_id(absl::StrCat("p-", i));
        *e.mutable_person_registered()->mutable_details() = Details(i, Nhs(i));
        Append(*log, absl::StrCat("person-p-", i), {e});
      }
    });
  }
  for (std::thread& loader : loaders) loader.join();
  auto store = OpenStore(work + "/persons-views");
  projections::PersonIndexProjection persons;
  const absl::Time fold_start = absl::Now();
  if (absl::Status s = projections::CatchUp(*log, *store, persons, true); !s.ok()) {
    std::cerr << s << "\n";
    std::exit(1);
  }
  std::printf("indexed %zu persons (load %.1f s, fold %.1f s)\n", indexed.size(),
              absl::ToDoubleSeconds(fold_start - load_start),
              absl::ToDoubleSeconds(absl::Now() - fold_start));
  std::mt19937_64 random(42);
  std::vector<double> by_nhs, by_name;
  for (int q = 0; q < flags.queries; ++q) {
    const int64_t i = indexed[random() % indexed.size()];
    absl::Time t = absl::Now();
    auto found = projections::FindByIdentifier(*store, cv1::IDENTIFIER_KIND_NHS_NUMBER, Nhs(i));
    by_nhs.push_back(absl::ToDoubleMilliseconds(absl::Now() - t));
    if (!found.ok() || !*found || **found != absl::StrCat("p-", i)) {
      std::cerr << "lookup by NHS number failed for " << i << "\n";
      std::exit(1);
    }
    const cv1::AdultDetails d = Details(i, "");
    t = absl::Now();
    auto named = projections::FindByNameAndBirth(*store, d.name().family(), d.name().given(),
                                                 d.date_of_birth(), "");
    by_name.push_back(absl::ToDoubleMilliseconds(absl::Now() - t));
    if (!named.ok() || std::find(named->begin(), named->end(), absl::StrCat("p-", i)) == named->end()) {
      std::cerr << "lookup by name failed for " << i << "\n";
      std::exit(1);
    }
  }
  const double p99 = std::max(Percentile(by_nhs, 0.99), Percentile(by_name, 0.99));
  std::printf("person lookup, %zu indexed: NHS number p50 %.3f ms p99 %.3f ms; name + birth "
              "p50 %.3f ms p99 %.3f ms (target p99 <= 5 ms: %s)\n",
              indexed.size(), Percentile(by_nhs, 0.5), Percentile(by_nhs, 0.99),
              Percentile(by_name, 0.5), Percentile(by_name, 0.99), p99 <= 5 ? "PASS" : "MISS");
  log->Close();
}

// 3. GetCase over loopback gRPC, with a synced log for the disclosure appends.
void ViewFigure(const Flags& flags, const std::string& work) {
  constexpr int kCases = 200;
  {
    // Loaded unsynced (nothing measured), then reopened synced for the disclosure appends.
    auto loading = OpenLog(work + "/view-log", false);
    AppendInterleaved(*loading, kCases, 50);
    loading->Close();
  }
  auto log = OpenLog(work + "/view-log", true);
  auto store = OpenStore(work + "/view-views");
  auto partnership =
      config::Partnership::Load(flags.source_dir + "/deploy/partnership.example.textproto");
  auto agreement = policy::Agreement::Load(flags.source_dir + "/deploy/agreement.example.textproto");
  if (!partnership.ok() || !agreement.ok()) {
    std::cerr << partnership.status() << agreement.status() << "\n";
    std::exit(1);
  }
  auto authenticator = services::NewMetadataAuthenticator(*partnership);
  projections::ProjectionEngine engine(*log, *store, services::HubProjections());
  if (!engine.Start().ok()) std::exit(1);
  engine.WaitFor(log->GetHead().position, absl::Now() + absl::Seconds(60));
  services::ServiceDeps deps{*log, *partnership, SystemClock::Get(), *authenticator};
  services::ViewsService views(deps, engine, *agreement);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&views);
  auto server = builder.BuildAndStart();
  auto stub = api::Views::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  std::vector<double> latencies;
  for (int q = 0; q < flags.queries; ++q) {
    grpc::ClientContext context;
    context.AddMetadata("x-hub-agency", "asc-northshire");
    context.AddMetadata("x-hub-user", "bench");
    context.AddMetadata("x-hub-roles", "enquiry_officer");
    api::GetCaseRequest request;
    request.mutable_header()->set_purpose(cv1::PURPOSE_SAFEGUARDING_ENQUIRY);
    request.set_concern_id(absl::StrCat("c-", q % kCases));
    api::GetCaseResponse response;
    const absl::Time t = absl::Now();
    grpc::Status status = stub->GetCase(&context, request, &response);
    latencies.push_back(absl::ToDoubleMilliseconds(absl::Now() - t));
    if (!status.ok()) {
      std::cerr << "GetCase: " << status.error_message() << "\n";
      std::exit(1);
    }
  }
  std::printf("view query (GetCase, agreement + redaction + synced disclosure append), %d "
              "queries: p50 %.2f ms p99 %.2f ms (target p99 <= 10 ms: %s)\n",
              flags.queries, Percentile(latencies, 0.5), Percentile(latencies, 0.99),
              Percentile(latencies, 0.99) <= 10 ? "PASS" : "MISS");
  server->Shutdown();
  engine.Stop();
  log->Close();
}

}  // namespace
}  // namespace hub::bench

int main(int argc, char** argv) {
  hub::bench::Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      const std::string prefix = absl::StrCat("--", name, "=");
      if (arg.rfind(prefix, 0) == 0) return arg.substr(prefix.size());
      return std::nullopt;
    };
    if (auto v = value("cases")) flags.cases = std::stoi(*v);
    else if (auto v = value("persons")) flags.persons = std::stoi(*v);
    else if (auto v = value("queries")) flags.queries = std::stoi(*v);
    else if (auto v = value("open")) flags.open = std::max(1, std::stoi(*v));
    else if (auto v = value("dir")) flags.dir = *v;
    else if (auto v = value("figures")) flags.figures = *v;
    else if (auto v = value("batch")) flags.batch = std::max(1, std::stoi(*v));
    else if (arg == "--detail") flags.detail = true;
    else {
      std::cerr << "usage: views_bench [--cases=N] [--open=N] [--persons=N] [--queries=N] "
                   "[--dir=PATH] [--figures=catchup,lookup,view] [--batch=N] [--detail]\n";
      return 2;
    }
  }
  std::string work = flags.dir + "/views_bench.XXXXXX";
  if (::mkdtemp(work.data()) == nullptr) {
    std::cerr << "cannot create a work directory under " << flags.dir << "\n";
    return 1;
  }
  auto wanted = [&](const char* figure) { return flags.figures.find(figure) != std::string::npos; };
  if (wanted("catchup")) hub::bench::CatchUpFigure(flags, work);
  if (wanted("lookup")) hub::bench::LookupFigure(flags, work);
  if (wanted("view")) hub::bench::ViewFigure(flags, work);
  std::error_code ec;
  std::filesystem::remove_all(work, ec);
  return 0;
}
