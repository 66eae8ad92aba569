// Tests of the code that talks to a server (connection, catalog, table reader, snapshots) against a throwaway
// PostgreSQL 15 cluster that the suite starts itself (about a second: initdb --no-sync, fsync off) on a free
// 127.0.0.1 port, and stops by its postmaster PID (pg_ctl stop) when the suite ends, pass or fail.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "pg/catalog.h"
#include "pg/connection.h"
#include "pg/snapshot.h"
#include "pg/table_reader.h"
#include "testing/throwaway_postgres.h"

namespace pgs3 {
namespace {

class LivePostgresTest : public testing::Test {
 public:
  static void SetUpTestSuite() {
    server_ = new test_support::ThrowawayPostgres();
    const std::string error = server_->start();
    ASSERT_EQ(error, "");
    port_ = server_->port();
    started_ = true;
    create_schema();
  }

  // The source objects every test reads: odd names, domains, enums, arrays, partitions, inheritance, privileges.
  static void create_schema() {
    auto conn = PgConnection::open(conninfo());
    ASSERT_TRUE(conn.is_ok()) << conn.status().message();
    Status s = (*conn)->exec(R"sql(
      CREATE EXTENSION citext;
      CREATE SCHEMA "Sales Data";
      CREATE TYPE "Sales Data".mood AS ENUM ('sad', 'ok');
      CREATE DOMAIN "Sales Data".money_amount AS numeric(12,2);
      CREATE DOMAIN "Sales Data".positive_amount AS "Sales Data".money_amount NOT NULL CHECK (VALUE > 0);
      CREATE TABLE "Sales Data"."Order Items" (
        id int PRIMARY KEY, dropped_col int, note text, amount "Sales Data".positive_amount,
        tags text[], mood "Sales Data".mood, email citext, ts timestamptz NOT NULL DEFAULT now(), price numeric(10,2),
        blob bytea, at_time timetz, span interval, doc jsonb, u uuid, m money, big numeric);
      ALTER TABLE "Sales Data"."Order Items" DROP COLUMN dropped_col;
      INSERT INTO "Sales Data"."Order Items" (id, note, amount, tags, mood, email, ts, price, blob, at_time, span,
                                              doc, u, m, big) VALUES
        (1, 'é ✓', 12.5, '{a,NULL}', 'ok', 'MiX', '2024-02-29 13:45:00.123456+02', 99999999.99, '\x00ff',
         '13:45:00+02', '-1 days +02:03:04', '{"b": 1, "a": 2}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 12.34,
         '1e100'),
        (2, NULL, 1, NULL, NULL, NULL, 'infinity', 'NaN', NULL, NULL, NULL, NULL, NULL, NULL, 'NaN'),
        (3, '', 2, '{}', 'sad', '', '-infinity', -0.01, '', '00:00:00+00', '00:00:00', 'null',
         '00000000-0000-0000-0000-000000000000', -0.01, '-0.000001');
      CREATE TABLE public.measurements (id bigint, taken date NOT NULL) PARTITION BY RANGE (taken);
      CREATE TABLE public.measurements_2023 PARTITION OF public.measurements
        FOR VALUES FROM ('2023-01-01') TO ('2024-01-01') PARTITION BY RANGE (id);
      CREATE TABLE public.measurements_2023_low PARTITION OF public.measurements_2023
        FOR VALUES FROM (MINVALUE) TO (1000);
      CREATE TABLE public.measurements_2024 PARTITION OF public.measurements
        FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      INSERT INTO public.measurements SELECT i, date '2023-06-01' + (i % 400) FROM generate_series(1, 900) i;
      CREATE TABLE public.parent (id int);
      CREATE TABLE public.child (extra text) INHERITS (public.parent);
      INSERT INTO public.parent VALUES (1), (2);
      INSERT INTO public.child VALUES (3, 'x');
      CREATE TABLE public.no_columns ();
      INSERT INTO public.no_columns DEFAULT VALUES;
      INSERT INTO public.no_columns DEFAULT VALUES;
      CREATE TABLE public.never_analyzed (id int);
      CREATE TABLE public.secret (id int);
      CREATE VIEW public.a_view AS SELECT 1 AS x;
      CREATE MATERIALIZED VIEW public.a_matview AS SELECT 1 AS x;
      CREATE SEQUENCE public.a_sequence;
      CREATE ROLE reader LOGIN;
      GRANT USAGE ON SCHEMA "Sales Data" TO reader;
      GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader;
      REVOKE SELECT ON public.secret FROM reader;
      ANALYZE public.measurements_2023_low, public.measurements_2024, "Sales Data"."Order Items", public.parent;
    )sql");
    ASSERT_TRUE(s.is_ok()) << s.message();
  }

  static void TearDownTestSuite() {
    delete server_;  // stops the server, pass or fail
    server_ = nullptr;
    started_ = false;
  }

 protected:
  static std::string conninfo(const std::string& extra = "") {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres " + extra;
  }
  static std::unique_ptr<PgConnection> connect(const std::string& extra = "") {
    auto c = PgConnection::open(conninfo(extra));
    EXPECT_TRUE(c.is_ok()) << c.status().message();
    return c.is_ok() ? std::move(c).value() : nullptr;
  }
  static void exec(PgConnection& conn, const std::string& sql) {
    Status s = conn.exec(sql);
    ASSERT_TRUE(s.is_ok()) << s.message() << "\n" << sql;
  }
  static std::string one_value(PgConnection& conn, const std::string& sql) {
    auto r = conn.query(sql);
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    if (!r.is_ok() || r->rows() < 1) return "<none>";
    return std::string(r->get(0, 0));
  }
  void SetUp() override { ASSERT_TRUE(started_) << "the test server did not start"; }

  static inline test_support::ThrowawayPostgres* server_ = nullptr;
  static inline int port_ = 0;
  static inline bool started_ = false;
};

const SourceTable* find_table(const std::vector<SourceTable>& tables, const std::string& schema,
                              const std::string& name) {
  for (const auto& t : tables) {
    if (t.schema == schema && t.name == name) return &t;
  }
  return nullptr;
}

TEST_F(LivePostgresTest, SessionSettingsAndApplicationName) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  EXPECT_GE(conn->server_version_num(), 150000);
  EXPECT_EQ(one_value(*conn, "SHOW DateStyle"), "ISO, MDY");
  EXPECT_EQ(one_value(*conn, "SHOW IntervalStyle"), "postgres");
  EXPECT_EQ(one_value(*conn, "SHOW extra_float_digits"), "3");
  EXPECT_EQ(one_value(*conn, "SHOW TimeZone"), "UTC");
  EXPECT_EQ(one_value(*conn, "SHOW client_encoding"), "UTF8");
  EXPECT_EQ(one_value(*conn, "SHOW application_name"), "pgs3");
  EXPECT_EQ(conn->describe(), "host 127.0.0.1 port " + std::to_string(port_) + " user postgres database postgres");
  EXPECT_EQ(conn->user(), "postgres");

  auto named = connect("application_name=nightly");
  ASSERT_NE(named, nullptr);
  EXPECT_EQ(one_value(*named, "SHOW application_name"), "nightly");
}

int tcp_option(PgConnection& conn, int option) {
  int value = -1;
  socklen_t len = sizeof value;
  EXPECT_EQ(getsockopt(PQsocket(conn.raw()), IPPROTO_TCP, option, &value, &len), 0);
  return value;
}

TEST_F(LivePostgresTest, TimeoutsAndKeepalivesAreSetOnTheSocketUnlessTheUserGaveThem) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  // The kernel's view: without pgs3's defaults, TCP_USER_TIMEOUT is 0 and TCP_KEEPIDLE the system's 7200 s.
  EXPECT_EQ(tcp_option(*conn, TCP_USER_TIMEOUT), 60000);
  EXPECT_EQ(tcp_option(*conn, TCP_KEEPIDLE), 30);
  EXPECT_EQ(tcp_option(*conn, TCP_KEEPINTVL), 10);
  EXPECT_EQ(tcp_option(*conn, TCP_KEEPCNT), 3);
  ConnectionSettings settings = conn->settings();
  // Loopback: libpq's sslmode stays (prefer), and the test server offers no TLS, so nothing is verified.
  EXPECT_EQ(settings.sslmode, "prefer");
  EXPECT_FALSE(settings.tls_in_use);
  EXPECT_FALSE(settings.server_verified);
  EXPECT_NE(settings.unverified_reason().find("sslmode=prefer, no TLS"), std::string::npos);
  EXPECT_NE(settings.text.find("sslmode=prefer, no TLS, connect_timeout=10 (pgs3's default), keepalives=1 (pgs3's "
                               "default), keepalives_idle=30 (pgs3's default)"),
            std::string::npos)
      << settings.text;
  EXPECT_NE(settings.text.find("tcp_user_timeout=60000 (pgs3's default)"), std::string::npos) << settings.text;

  auto own = connect("connect_timeout=3 keepalives_idle=7 tcp_user_timeout=5000 sslmode=disable");
  ASSERT_NE(own, nullptr);
  EXPECT_EQ(tcp_option(*own, TCP_USER_TIMEOUT), 5000);
  EXPECT_EQ(tcp_option(*own, TCP_KEEPIDLE), 7);
  EXPECT_EQ(tcp_option(*own, TCP_KEEPCNT), 3);
  settings = own->settings();
  EXPECT_EQ(settings.sslmode, "disable");
  EXPECT_NE(settings.text.find("connect_timeout=3, "), std::string::npos) << settings.text;
  EXPECT_EQ(settings.text.find("password"), std::string::npos);
}

TEST_F(LivePostgresTest, QueryParamsAndErrors) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  auto r = conn->query("SELECT $1::text || '!', NULL::int", {"it's"});
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->get(0, 0), "it's!");
  EXPECT_TRUE(r->is_null(0, 1));
  EXPECT_EQ(r->column_index("?column?"), 0);

  auto bad = conn->query("SELECT * FROM no_such_table");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kBadInput);
  EXPECT_EQ(conn->last_sqlstate(), "42P01");
  EXPECT_NE(bad.status().message().find("no_such_table"), std::string::npos);
  Status div = conn->exec("SELECT 1/0");
  EXPECT_EQ(div.code(), StatusCode::kDataError);
  EXPECT_EQ(one_value(*conn, "SELECT " + quote_literal("a\\b'c")), "a\\b'c");
}

TEST_F(LivePostgresTest, UnknownRoleIsBadInputNamingTheServer) {
  auto c = PgConnection::open("host=127.0.0.1 port=" + std::to_string(port_) +
                              " user=nobody_here dbname=postgres password=Secret-Live-1");
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().code(), StatusCode::kBadInput);
  EXPECT_NE(c.status().message().find("user nobody_here"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("nobody_here\" does not exist"), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().message().find("Secret-Live-1"), std::string::npos);
}

TEST_F(LivePostgresTest, ListsTablesAndPartitionedRootsOnly) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  exec(*conn, "CREATE TEMP TABLE my_temp (id int)");
  auto tables = list_tables(*conn);
  ASSERT_TRUE(tables.is_ok()) << tables.status().message();
  std::vector<std::string> names;
  for (const auto& t : *tables) names.push_back(t.schema + "." + t.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"Sales Data.Order Items", "public.child", "public.measurements",
                                      "public.never_analyzed", "public.no_columns", "public.parent", "public.secret"}));

  const SourceTable* m = find_table(*tables, "public", "measurements");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->relkind, 'p');
  EXPECT_TRUE(m->is_partitioned());
  EXPECT_EQ(m->estimated_rows, 900);  // summed over the leaf partitions, the sub-partitioned one included
  EXPECT_GT(m->estimated_bytes, 0);
  EXPECT_EQ(find_table(*tables, "public", "never_analyzed")->estimated_rows, 0);  // reltuples -1
  EXPECT_EQ(find_table(*tables, "public", "parent")->estimated_rows, 2);
}

TEST_F(LivePostgresTest, DescribesColumnsWithDomainsResolved) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  auto tables = list_tables(*conn);
  ASSERT_TRUE(tables.is_ok()) << tables.status().message();
  const SourceTable* t = find_table(*tables, "Sales Data", "Order Items");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->qualified_name(), "\"Sales Data\".\"Order Items\"");
  EXPECT_EQ(t->relkind, 'r');
  EXPECT_EQ(t->estimated_rows, 3);
  EXPECT_TRUE(t->can_select);
  ASSERT_EQ(t->columns.size(), 15u);  // the dropped column is gone
  const SourceColumn& id = t->columns[0];
  EXPECT_EQ(id.name, "id");
  EXPECT_EQ(id.attnum, 1);
  EXPECT_TRUE(id.not_null);  // primary key
  EXPECT_EQ(id.base_type_oid, 23u);
  const SourceColumn& note = t->columns[1];
  EXPECT_EQ(note.name, "note");
  EXPECT_EQ(note.attnum, 3);
  EXPECT_FALSE(note.not_null);

  const SourceColumn& amount = t->columns[2];
  EXPECT_EQ(amount.type_text, "\"Sales Data\".positive_amount");
  EXPECT_EQ(amount.base_type_oid, 1700u);
  EXPECT_EQ(amount.base_type_name, "numeric");
  EXPECT_EQ(amount.base_typmod, ((12 << 16) | 2) + 4);  // from the inner domain
  EXPECT_TRUE(amount.not_null);                         // from the outer domain
  EXPECT_EQ(amount.typtype, TypType::kBase);
  EXPECT_NE(amount.type_oid, amount.base_type_oid);

  const SourceColumn& tags = t->columns[3];
  EXPECT_TRUE(tags.is_array);
  EXPECT_EQ(tags.type_text, "text[]");
  EXPECT_EQ(t->columns[4].typtype, TypType::kEnum);
  EXPECT_EQ(t->columns[5].base_type_name, "citext");
  EXPECT_TRUE(t->columns[6].not_null);
  EXPECT_EQ(t->columns[7].type_text, "numeric(10,2)");
  EXPECT_EQ(t->columns[7].base_typmod, ((10 << 16) | 2) + 4);

  const SourceTable* no_columns = find_table(*tables, "public", "no_columns");
  ASSERT_NE(no_columns, nullptr);
  EXPECT_TRUE(no_columns->columns.empty());
  auto fraction = money_fraction_digits(*conn);
  ASSERT_TRUE(fraction.is_ok());
  EXPECT_EQ(*fraction, 2);
}

TEST_F(LivePostgresTest, ReportsMissingSelectPrivilege) {
  auto conn = PgConnection::open("host=127.0.0.1 port=" + std::to_string(port_) + " user=reader dbname=postgres");
  ASSERT_TRUE(conn.is_ok()) << conn.status().message();
  auto tables = list_tables(**conn);
  ASSERT_TRUE(tables.is_ok()) << tables.status().message();
  const SourceTable* secret = find_table(*tables, "public", "secret");
  ASSERT_NE(secret, nullptr);
  EXPECT_FALSE(secret->can_select);
  EXPECT_TRUE(find_table(*tables, "public", "parent")->can_select);

  TableReader reader(*secret, map_columns(*secret, {}));
  RecordBatch batch(std::vector<ColumnSpec>{reader.columns()[0].spec});
  Status s = reader.read(**conn, batch, {}, [](RecordBatch&, size_t) { return Status::ok(); });
  EXPECT_EQ(s.code(), StatusCode::kBadInput);
  EXPECT_NE(s.message().find("GRANT SELECT ON \"public\".\"secret\" TO \"reader\""), std::string::npos) << s.message();
}

std::vector<ColumnSpec> specs_with_op(const std::vector<MappedColumn>& columns) {
  std::vector<ColumnSpec> specs;
  ColumnSpec op;
  op.name = "Op";
  specs.push_back(op);
  for (const auto& c : columns) specs.push_back(c.spec);
  return specs;
}

TEST_F(LivePostgresTest, ReadsEveryColumnAfterTheCallersColumns) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  auto tables = list_tables(*conn);
  ASSERT_TRUE(tables.is_ok());
  const SourceTable* t = find_table(*tables, "Sales Data", "Order Items");
  ASSERT_NE(t, nullptr);
  TableReader reader(*t, map_columns(*t, {}));
  RecordBatch batch(specs_with_op(reader.columns()));
  TableReadOptions options;
  options.first_column = 1;
  options.batch_rows = 2;
  std::vector<size_t> calls;
  RecordBatch all(specs_with_op(reader.columns()));
  Status s = reader.read(*conn, batch, options, [&](RecordBatch& b, size_t new_rows) {
    calls.push_back(new_rows);
    for (size_t i = 0; i < new_rows; ++i) b.columns[0].append_bytes("I");
    EXPECT_EQ(b.columns[0].rows(), b.columns[1].rows());
    for (size_t c = 0; c < b.columns.size(); ++c) {
      // Keep a copy of the first row of the first batch, then clear as an encoder would.
      if (all.columns[c].rows() == 0) all.columns[c] = b.columns[c];
    }
    b.clear();
    return Status::ok();
  });
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(calls, (std::vector<size_t>{2, 1}));
  EXPECT_EQ(reader.rows_read(), 3u);
  EXPECT_GT(reader.bytes_received(), 100u);
  // Row 1 then row 2 of the first batch; columns are Op, then the table's in attnum order.
  EXPECT_EQ(all.columns[0].bytes_at(0), "I");
  EXPECT_EQ(all.columns[1].fixed_at<int32_t>(0), 1);
  EXPECT_EQ(all.columns[2].bytes_at(0), "\xc3\xa9 \xe2\x9c\x93");
  EXPECT_EQ(all.columns[4].bytes_at(0), "{a,NULL}");  // text[] selected as text
  EXPECT_EQ(all.columns[5].bytes_at(0), "ok");
  EXPECT_EQ(all.columns[6].bytes_at(0), "MiX");
  EXPECT_EQ(all.columns[7].fixed_at<int64_t>(0), 1709207100123456LL);
  EXPECT_EQ(all.columns[7].fixed_at<int64_t>(1), std::numeric_limits<int64_t>::max());  // infinity
  EXPECT_EQ(all.columns[11].bytes_at(0), "-1 days +02:03:04");
  EXPECT_EQ(all.columns[12].bytes_at(0), "{\"a\": 2, \"b\": 1}");
  EXPECT_EQ(all.columns[13].bytes_at(0), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(all.columns[15].bytes_at(0), std::string("1") + std::string(100, '0'));
  EXPECT_EQ(all.columns[15].bytes_at(1), "NaN");
  EXPECT_EQ(all.columns[8].null_count(), 1u);  // price NaN in numeric(10,2) -> NULL
  EXPECT_EQ(reader.decoders()[7].nulled_special_numerics(), 1u);
  EXPECT_EQ(reader.decoders()[6].infinities(), 2u);  // ts: infinity and -infinity
}

TEST_F(LivePostgresTest, PartitionedRootReadsAllPartitionsAndInheritanceParentOnlyItself) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  auto tables = list_tables(*conn);
  ASSERT_TRUE(tables.is_ok());
  for (auto [name, want] : {std::pair{"measurements", 900u}, {"parent", 2u}, {"child", 1u}, {"no_columns", 2u}}) {
    const SourceTable* t = find_table(*tables, "public", name);
    ASSERT_NE(t, nullptr) << name;
    TableReader reader(*t, map_columns(*t, {}));
    RecordBatch batch(specs_with_op(reader.columns()));
    TableReadOptions options;
    options.first_column = 1;
    uint64_t seen = 0;
    Status s = reader.read(*conn, batch, options, [&](RecordBatch& b, size_t new_rows) {
      seen += new_rows;
      b.clear();
      return Status::ok();
    });
    ASSERT_TRUE(s.is_ok()) << s.message();
    EXPECT_EQ(seen, want) << name;
    EXPECT_EQ(reader.rows_read(), want) << name;
  }
}

TEST_F(LivePostgresTest, CallbackFailureCancelsTheCopyAndTheConnectionStaysUsable) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  auto tables = list_tables(*conn);
  ASSERT_TRUE(tables.is_ok());
  const SourceTable* t = find_table(*tables, "public", "measurements");
  TableReader reader(*t, map_columns(*t, {}));
  RecordBatch batch(specs_with_op(reader.columns()));
  TableReadOptions options;
  options.first_column = 1;
  options.batch_rows = 10;
  Status s = reader.read(*conn, batch, options, [](RecordBatch&, size_t) { return Status::io_error("disk full"); });
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.message(), "disk full");
  EXPECT_EQ(one_value(*conn, "SELECT 41 + 1"), "42");
}

TEST_F(LivePostgresTest, CancelStopsALongCopy) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  std::atomic<bool> first_chunk{false};
  std::thread canceller;
  Status s =
      conn->copy_out("COPY (SELECT i, repeat('x', 100) FROM generate_series(1, 5000000) i) TO STDOUT (FORMAT binary)",
                     [&](std::string_view) {
                       if (!first_chunk.exchange(true)) canceller = std::thread([&] { conn->cancel(); });
                       return Status::ok();
                     });
  if (canceller.joinable()) canceller.join();
  EXPECT_EQ(s.code(), StatusCode::kCancelled) << s.message();
  conn->reset_cancel();
  EXPECT_EQ(one_value(*conn, "SELECT 'still usable'"), "still usable");
}

TEST_F(LivePostgresTest, WorkersSeeTheExportedSnapshot) {
  auto coordinator = connect();
  auto worker = connect();
  auto writer = connect();
  ASSERT_TRUE(coordinator && worker && writer);
  exec(*writer, "CREATE TABLE public.snap (id int); INSERT INTO public.snap VALUES (1)");
  auto name = export_snapshot(*coordinator);
  ASSERT_TRUE(name.is_ok()) << name.status().message();
  exec(*writer, "INSERT INTO public.snap VALUES (2)");
  Status s = import_snapshot(*worker, *name);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(one_value(*worker, "SELECT count(*) FROM public.snap"), "1");
  EXPECT_EQ(one_value(*writer, "SELECT count(*) FROM public.snap"), "2");
  EXPECT_EQ(one_value(*worker, "SHOW transaction_read_only"), "on");
  EXPECT_EQ(one_value(*worker, "SHOW transaction_isolation"), "repeatable read");
  ASSERT_TRUE(end_transaction(*worker).is_ok());
  ASSERT_TRUE(end_transaction(*coordinator).is_ok());
  EXPECT_EQ(one_value(*worker, "SELECT count(*) FROM public.snap"), "2");

  Status gone = import_snapshot(*worker, *name);  // its exporting transaction has ended
  EXPECT_EQ(gone.code(), StatusCode::kBadInput);
  EXPECT_NE(gone.message().find(*name), std::string::npos) << gone.message();
  EXPECT_EQ(one_value(*worker, "SELECT 'idle again'"), "idle again");  // the failed transaction was rolled back
  ASSERT_TRUE(begin_read_only(*worker).is_ok());
  EXPECT_EQ(one_value(*worker, "SHOW transaction_read_only"), "on");
  ASSERT_TRUE(end_transaction(*worker).is_ok());
  exec(*writer, "DROP TABLE public.snap");
}

}  // namespace
}  // namespace pgs3
