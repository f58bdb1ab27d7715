// Catalog discovery, the package list format and dpkg ownership lookup, on small trees made
// by the test (no network), and one fetch of a small Debian package (skipped offline).
#include "corpus/sources.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace moemt::corpus {
namespace {
namespace fs = std::filesystem;

class SourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("moemt_sources_test_" + std::to_string(::getpid()) + "_" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void touch(const fs::path& p, const std::string& text = "x") {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  fs::path root_;
};

TEST_F(SourcesTest, ScansLocaleTrees) {
  touch(root_ / "usr/share/locale/de/LC_MESSAGES/app.mo");
  touch(root_ / "usr/lib/office/resource/pt-BR/LC_MESSAGES/sw.mo");
  touch(root_ / "usr/share/locale/de/LC_MESSAGES/readme.txt");
  touch(root_ / "usr/share/locale/de/other.mo");  // not under LC_MESSAGES
  auto found = scan_catalog_tree(root_.string(), "test");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].locale, "pt_BR");
  EXPECT_EQ(found[0].domain, "sw");
  EXPECT_EQ(found[1].locale, "de");
  EXPECT_EQ(found[1].domain, "app");
  EXPECT_EQ(found[1].origin, "test");
  EXPECT_THROW(scan_catalog_tree((root_ / "missing").string(), "x"), Error);
}

TEST_F(SourcesTest, ReadsPackageLists) {
  touch(root_ / "p.txt",
        "# comment\n\ncoreutils=9.1-1\nlibreoffice-l10n-de=4:7.4.7-1+deb12u14  de  # German\n"
        "gimp-data\nlibreoffice-l10n-pt-br=4:7.4.7-1 pt,pt_BR\n");
  auto specs = read_package_list((root_ / "p.txt").string());
  ASSERT_EQ(specs.size(), 4u);
  EXPECT_EQ(specs[0].name, "coreutils");
  EXPECT_EQ(specs[0].version, "9.1-1");
  EXPECT_TRUE(specs[0].langs.empty());
  EXPECT_EQ(specs[1].version, "4:7.4.7-1+deb12u14");
  EXPECT_EQ(specs[1].langs, (std::vector<std::string>{"de"}));
  EXPECT_EQ(specs[1].line, 4);
  EXPECT_EQ(specs[2].version, "");
  EXPECT_EQ(specs[3].langs, (std::vector<std::string>{"pt", "pt_BR"}));
  touch(root_ / "bad.txt", "ok-pkg=1.0\nrm -rf /\n");
  try {
    read_package_list((root_ / "bad.txt").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.txt:2: expected 'name[=version]"), std::string::npos)
        << e.what();
  }
  touch(root_ / "bad2.txt", "pkg=1.0;reboot\n");
  EXPECT_THROW(read_package_list((root_ / "bad2.txt").string()), Error);
  touch(root_ / "bad2.txt", "$(reboot)=1\n");
  EXPECT_THROW(read_package_list((root_ / "bad2.txt").string()), Error);
  EXPECT_THROW(read_package_list((root_ / "none.txt").string()), Error);
}

TEST_F(SourcesTest, OwningPackagesFromDpkgDatabase) {
  touch(root_ / "dpkg/info/foo.list", "/usr/share/locale/de/LC_MESSAGES/foo.mo\n/usr/bin/foo\n");
  touch(root_ / "dpkg/info/bar:amd64.list", "/usr/share/locale/de/LC_MESSAGES/bar.mo\n");
  touch(root_ / "dpkg/status",
        "Package: foo\nStatus: install ok installed\nVersion: 1.2-3\n\n"
        "Package: bar\nArchitecture: amd64\nVersion: 2:0.9\n\n");
  std::vector<CatalogFile> cats = {
      {"/usr/share/locale/de/LC_MESSAGES/bar.mo", "de", "bar", "system"},
      {"/usr/share/locale/de/LC_MESSAGES/foo.mo", "de", "foo", "system"},
      {"/usr/share/locale/de/LC_MESSAGES/stray.mo", "de", "stray", "system"}};
  auto owners = owning_packages(cats, (root_ / "dpkg").string());
  ASSERT_EQ(owners.size(), 3u);
  EXPECT_EQ(owners[0].name, "(no package)");
  EXPECT_EQ(owners[1].name, "bar");
  EXPECT_EQ(owners[1].version, "2:0.9");
  EXPECT_EQ(owners[2].name, "foo");
  EXPECT_EQ(owners[2].version, "1.2-3");
  EXPECT_EQ(owners[2].catalogs, 1);
}


// Two runs sharing one cache (two `moemt corpus build` at once) must both succeed: each works
// in its own temporary folder and the finished tree is published by one rename. Needs apt's
// package lists and a mirror; skipped without them.
TEST_F(SourcesTest, ConcurrentFetchesShareTheCache) {
  if (std::system("apt-cache show --no-all-versions krb5-locales > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "apt-cache does not know krb5-locales (no package lists)";
  const std::string cache = (root_ / "cache").string();
  PackageSpec spec{"krb5-locales", "", {}, 0};
  // Two processes (the temporaries are named by PID, as for every writer of the project).
  pid_t kids[2];
  for (pid_t& k : kids) {
    k = ::fork();
    ASSERT_GE(k, 0);
    if (k == 0) {
      try {
        fetch_package(spec, cache);
        ::_exit(0);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        ::_exit(std::string(e.what()).find("apt-get download failed") != std::string::npos ? 2
                                                                                           : 1);
      }
    }
  }
  int codes[2];
  for (int i = 0; i < 2; ++i) {
    int status = 0;
    ASSERT_EQ(::waitpid(kids[i], &status, 0), kids[i]);
    codes[i] = WIFEXITED(status) ? WEXITSTATUS(status) : 99;
  }
  if (codes[0] == 2 || codes[1] == 2) GTEST_SKIP() << "no mirror (apt-get download failed)";
  ASSERT_EQ(codes[0], 0);
  ASSERT_EQ(codes[1], 0);
  FetchedPackage got[2] = {fetch_package(spec, cache), fetch_package(spec, cache)};
  EXPECT_EQ(got[0].tree, got[1].tree);
  EXPECT_TRUE(fs::exists(fs::path(got[0].tree) / ".complete"));
  int catalogs = 0;
  for (const auto& e : fs::recursive_directory_iterator(got[0].tree))
    catalogs += e.path().extension() == ".mo";
  EXPECT_GT(catalogs, 0);
  for (const auto& e : fs::directory_iterator(root_ / "cache" / "tree"))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  EXPECT_FALSE(got[0].downloaded);  // served from the cache the two processes filled
}

}  // namespace
}  // namespace moemt::corpus
