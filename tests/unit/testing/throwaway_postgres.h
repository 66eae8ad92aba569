// ThrowawayPostgres: a PostgreSQL 15 cluster for the unit suites that need a real server — initdb --no-sync into a
// fresh /tmp directory, fsync off, listening on a free 127.0.0.1 port (about a second). stop() (or the destructor)
// stops it by its own postmaster PID file (pg_ctl stop -m immediate) and removes the directory, pass or fail.
// PGS3_PG_BINDIR overrides /usr/lib/postgresql/15/bin. As root, initdb and postgres run as the postgres user.
//
// Not thread-safe: one suite's SetUpTestSuite/TearDownTestSuite.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace pgs3::test_support {

class ThrowawayPostgres {
 public:
  ThrowawayPostgres() = default;
  ~ThrowawayPostgres() { stop(); }
  ThrowawayPostgres(const ThrowawayPostgres&) = delete;
  ThrowawayPostgres& operator=(const ThrowawayPostgres&) = delete;

  // Starts the cluster with `server_options` added to the postgres command line (e.g. "-c wal_level=logical").
  // Returns "" on success, else what failed and which log to read.
  std::string start(const std::string& server_options = "") {
    char tmpl[] = "/tmp/pgs3-pg-test-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return "mkdtemp failed";
    dir_ = tmpl;
    if (geteuid() == 0) {
      passwd* pw = getpwnam("postgres");
      if (pw == nullptr) return "running as root needs the postgres user (Debian's postgresql-15 package)";
      if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return "chown " + dir_ + " failed";
    }
    port_ = free_port();
    if (run(bindir() + "/initdb -D " + dir_ + "/data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >" +
            dir_ + "/initdb.log 2>&1") != 0) {
      return "initdb failed; see " + dir_ + "/initdb.log";
    }
    if (run(bindir() + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -o \"-p " + std::to_string(port_) +
            " -k " + dir_ + " -c listen_addresses=127.0.0.1 -c fsync=off " + server_options + "\" start >" + dir_ +
            "/pg_ctl.log 2>&1") != 0) {
      return "pg_ctl start failed; see " + dir_ + "/server.log";
    }
    started_ = true;
    return "";
  }

  void stop() {
    if (started_) {
      // pg_ctl stops the postmaster whose PID is in data/postmaster.pid: ours, and only ours.
      run(bindir() + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop >/dev/null 2>&1");
      started_ = false;
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    dir_.clear();
  }

  bool started() const { return started_; }
  int port() const { return port_; }
  std::string conninfo(const std::string& extra = "") const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres " + extra;
  }

 private:
  static std::string bindir() {
    const char* env = std::getenv("PGS3_PG_BINDIR");
    return env != nullptr ? env : "/usr/lib/postgresql/15/bin";
  }

  static int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
  }

  static int run(const std::string& command) {
    std::string full = geteuid() == 0 ? "runuser -u postgres -- " + command : command;
    return std::system(full.c_str());
  }

  std::string dir_;
  int port_ = 0;
  bool started_ = false;
};

}  // namespace pgs3::test_support
