//! The topology the faults are made in, all on loopback: a private PostgreSQL instance,
//! two replicas of each service as separate processes (127.0.0.2 and 127.0.0.3), HAProxy
//! speaking HTTP/2 in front of each service (127.0.0.1), and the latency proxy between
//! ordering and the gate. Everything it starts is stopped when it is dropped.

use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use gcc_testkit::proxy::LatencyProxy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic_health::ServingStatus;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Partner,
    Validation,
    Relationships,
    Ordering,
}

impl Service {
    pub const ALL: [Service; 4] = [Self::Partner, Self::Validation, Self::Relationships, Self::Ordering];

    pub fn name(self) -> &'static str {
        match self {
            Self::Partner => "partner-eligibility",
            Self::Validation => "customer-validation",
            Self::Relationships => "relationships",
            Self::Ordering => "ordering",
        }
    }

    fn database(self) -> &'static str {
        match self {
            Self::Partner => "gcc_partner",
            Self::Validation => "gcc_validation",
            Self::Relationships => "gcc_relationships",
            Self::Ordering => "gcc_ordering",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A free port on `ip` (bound, then released for the process that will listen on it).
fn free_port(ip: &str) -> anyhow::Result<SocketAddr> {
    let l = StdListener::bind(format!("{ip}:0")).with_context(|| format!("bind {ip}:0"))?;
    Ok(l.local_addr()?)
}

/// Runs a command to completion; its output goes to the error when it fails.
fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let out = cmd.stdin(Stdio::null()).output().with_context(|| format!("cannot run {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A PostgreSQL instance of the suite's own, in a temporary directory, from Debian's
/// binaries: restarting it disturbs nobody else. As root, it runs as the `postgres` user.
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    socket_dir: PathBuf,
    pub addr: SocketAddr,
    as_postgres: bool,
}

impl Postgres {
    /// `initdb` in `dir/pg` and start on a free loopback port.
    pub fn start_in(dir: &Path) -> anyhow::Result<Self> {
        let bin = match std::env::var_os("GCC_FAULTS_PG_BIN") {
            Some(b) => PathBuf::from(b),
            None => {
                let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
                    .context("no /usr/lib/postgresql: install Debian's postgresql package or set GCC_FAULTS_PG_BIN")?
                    .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                    .filter(|b| b.join("initdb").exists())
                    .collect();
                found.sort_by_key(|p| {
                    p.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()?.parse::<u32>().ok()).unwrap_or(0)
                });
                found.pop().context("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")?
            }
        };
        let pg_dir = dir.join("pg");
        let (data, socket_dir) = (pg_dir.join("data"), pg_dir.join("run"));
        std::fs::create_dir_all(&socket_dir)?;
        let as_postgres = is_root();
        if as_postgres {
            // PostgreSQL refuses to run as root: its directory belongs to `postgres`.
            run(Command::new("chmod").arg("755").arg(dir))?;
            run(Command::new("chown").arg("-R").arg("postgres:postgres").arg(&pg_dir))?;
        }
        let pg = Self {
            bin,
            data,
            log: pg_dir.join("postgres.log"),
            socket_dir,
            addr: free_port("127.0.0.1")?,
            as_postgres,
        };
        pg.command("initdb", &["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
            .and_then(|mut c| run(c.arg("-D").arg(&pg.data)))
            .context("initdb")?;
        pg.start()?;
        Ok(pg)
    }

    fn command(&self, tool: &str, args: &[&str]) -> anyhow::Result<Command> {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.args(args);
        Ok(cmd)
    }

    /// Starts it and waits until it accepts connections.
    pub fn start(&self) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c max_connections=300",
            self.addr.port(),
            self.socket_dir.display()
        );
        let mut cmd = self.command("pg_ctl", &["-w", "-t", "60", "-o", &options])?;
        run(cmd.arg("-D").arg(&self.data).arg("-l").arg(&self.log).arg("start")).context("pg_ctl start")
    }

    /// Stops it as an operator's restart does (`-m fast`: sessions are ended, committed
    /// work is kept).
    pub fn stop(&self) -> anyhow::Result<()> {
        let mut cmd = self.command("pg_ctl", &["-w", "-t", "60", "-m", "fast"])?;
        run(cmd.arg("-D").arg(&self.data).arg("stop")).context("pg_ctl stop")
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@{}/{database}", self.addr)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Ok(mut cmd) = self.command("pg_ctl", &["-w", "-m", "immediate"]) {
            let _ = cmd.arg("-D").arg(&self.data).arg("stop").stdout(Stdio::null()).stderr(Stdio::null()).status();
        }
    }
}

/// One replica of one service: a process of its binary.
pub struct Replica {
    pub service: Service,
    /// 1 or 2 (its HAProxy server is `r1` or `r2`).
    pub number: usize,
    pub addr: SocketAddr,
    program: PathBuf,
    args: Vec<String>,
    log: PathBuf,
    child: Option<Child>,
}

impl Replica {
    pub fn spawn(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log)?;
        let child = Command::new(&self.program)
            .args(&self.args)
            .env("RUST_LOG", std::env::var("GCC_FAULTS_LOG").unwrap_or_else(|_| "warn".into()))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", self.program.display()))?;
        self.child = Some(child);
        Ok(())
    }

    pub fn label(&self) -> String {
        format!("{} r{} ({})", self.service.name(), self.number, self.addr)
    }

    fn pid(&self) -> anyhow::Result<u32> {
        self.child.as_ref().map(|c| c.id()).context("not running")
    }

    /// SIGTERM: the replica drains and stops.
    pub fn terminate(&self) -> anyhow::Result<()> {
        run(Command::new("kill").arg("-TERM").arg(self.pid()?.to_string()))
    }

    /// SIGKILL, then reaps it.
    pub fn kill9(&mut self) -> anyhow::Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill()?;
            c.wait()?;
        }
        Ok(())
    }

    /// Waits until the process has exited (reaped), at most `limit`.
    pub async fn exited(&mut self, limit: Duration) -> anyhow::Result<()> {
        let until = Instant::now() + limit;
        while let Some(c) = self.child.as_mut() {
            if c.try_wait()?.is_some() {
                self.child = None;
                return Ok(());
            }
            if Instant::now() > until {
                bail!("{} did not exit within {limit:?}", self.label());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Its overall health, asked directly (not through HAProxy); `None` if it does not
    /// answer within 500 ms.
    pub async fn health(&self) -> Option<ServingStatus> {
        health_at(self.addr).await
    }

    /// Waits until it answers SERVING, at most `limit`.
    pub async fn serving(&self, limit: Duration) -> anyhow::Result<()> {
        let until = Instant::now() + limit;
        loop {
            if self.health().await == Some(ServingStatus::Serving) {
                return Ok(());
            }
            if Instant::now() > until {
                bail!("{} is not SERVING after {limit:?}; see {}", self.label(), self.log.display());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The overall health of the server at `addr`; `None` if it does not answer within
/// 500 ms.
pub async fn health_at(addr: SocketAddr) -> Option<ServingStatus> {
    let ask = async {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).ok()?.connect().await.ok()?;
        let answer =
            HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await.ok()?.into_inner();
        Some(if answer.status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32 {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        })
    };
    tokio::time::timeout(Duration::from_millis(500), ask).await.ok().flatten()
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.kill9();
    }
}

/// HAProxy in front of each service, with its admin socket: the suite marks a replica
/// as draining when it stops it, as a mesh removes an endpoint that is going away.
pub struct Haproxy {
    child: Child,
    socket: PathBuf,
    pub frontends: [SocketAddr; 4],
}

impl Haproxy {
    fn start(dir: &Path, frontends: [SocketAddr; 4], replicas: &[Replica]) -> anyhow::Result<Self> {
        let socket = dir.join("haproxy.sock");
        // HAProxy's own refusals (no replica up, a replica gone mid-call) answer as gRPC
        // does, UNAVAILABLE, rather than with an HTML page that a gRPC client cannot read.
        let unavailable = dir.join("grpc-unavailable.http");
        std::fs::write(
            &unavailable,
            "HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\ngrpc-status: 14\r\n\
             grpc-message: no%20replica%20could%20answer\r\ncontent-length: 0\r\n\r\n",
        )?;
        let mut cfg = format!(
            "global\n    maxconn 4096\n    stats socket {} mode 600 level admin\n\
             defaults\n    mode http\n    timeout connect 1s\n    timeout client 5m\n    timeout server 5m\n\
             \x20   retries 3\n    option redispatch 1\n    retry-on conn-failure\n\
             \x20   errorfile 502 {u}\n    errorfile 503 {u}\n    errorfile 504 {u}\n",
            socket.display(),
            u = unavailable.display()
        );
        for s in Service::ALL {
            cfg.push_str(&format!(
                "frontend {name}\n    bind {addr} proto h2\n    default_backend {name}-replicas\n\
                 backend {name}-replicas\n    balance leastconn\n",
                name = s.name(),
                addr = frontends[s.index()],
            ));
            for r in replicas.iter().filter(|r| r.service == s) {
                cfg.push_str(&format!(
                    "    server r{} {} proto h2 check inter 250ms fall 1 rise 1\n",
                    r.number, r.addr
                ));
            }
        }
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, cfg)?;
        let log = std::fs::File::create(dir.join("haproxy.log"))?;
        let child = Command::new("haproxy")
            .arg("-f")
            .arg(&path)
            .arg("-db")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("cannot start haproxy (tests/faults/run installs it from Debian's packages)")?;
        Ok(Self { child, socket, frontends })
    }

    async fn command(&self, line: &str) -> anyhow::Result<String> {
        let mut s = tokio::net::UnixStream::connect(&self.socket).await?;
        s.write_all(format!("{line}\n").as_bytes()).await?;
        let mut out = String::new();
        tokio::time::timeout(Duration::from_secs(2), s.read_to_string(&mut out)).await??;
        Ok(out)
    }

    /// `drain` (no new calls), `ready` or `maint`, for one replica.
    pub async fn set_state(&self, r: &Replica, state: &str) -> anyhow::Result<()> {
        let out =
            self.command(&format!("set server {}-replicas/r{} state {state}", r.service.name(), r.number)).await?;
        if !out.trim().is_empty() {
            bail!("haproxy: {out}");
        }
        Ok(())
    }

    /// Whether HAProxy sends calls to the replica (its check passes).
    pub async fn is_up(&self, r: &Replica) -> anyhow::Result<bool> {
        let stat = self.command("show stat").await?;
        let (backend, server) = (format!("{}-replicas", r.service.name()), format!("r{}", r.number));
        Ok(stat.lines().any(|l| {
            let f: Vec<&str> = l.split(',').collect();
            f.len() > 17 && f[0] == backend && f[1] == server && f[17] == "UP"
        }))
    }

    async fn until_up(&self, r: &Replica, limit: Duration) -> anyhow::Result<()> {
        let until = Instant::now() + limit;
        while !self.is_up(r).await.unwrap_or(false) {
            if Instant::now() > until {
                bail!("HAProxy does not see {} UP after {limit:?}", r.label());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// Accepts connections on every frontend.
    async fn listening(&self) -> anyhow::Result<()> {
        for addr in self.frontends {
            let until = Instant::now() + Duration::from_secs(10);
            while tokio::net::TcpStream::connect(addr).await.is_err() {
                if Instant::now() > until {
                    bail!("HAProxy does not listen on {addr}");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(())
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Everything, started.
pub struct Cluster {
    pub replicas: Vec<Replica>,
    pub haproxy: Haproxy,
    /// Between ordering's replicas and the gate's frontend.
    pub gate_proxy: LatencyProxy,
    pub pg: Postgres,
}

impl Cluster {
    /// Starts it all under `dir`, with the service binaries from `bin_dir`.
    pub async fn start(dir: &Path, bin_dir: &Path) -> anyhow::Result<Self> {
        for s in Service::ALL {
            let b = bin_dir.join(s.name());
            if !b.exists() {
                bail!("{} is missing: build the services first (tests/faults/run does)", b.display());
            }
        }
        let pg = Postgres::start_in(dir)?;
        let admin = pg.url("postgres");
        sqlx::any::install_default_drivers();
        let mut conn =
            <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.context("connect to PostgreSQL")?;
        for s in Service::ALL {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {}", s.database()))).execute(&mut conn).await?;
        }
        let _ = sqlx::Connection::close(conn).await;

        let secret = dir.join("jwt.key");
        std::fs::write(&secret, gcc_testkit::hs256_secret())?;
        let invitation_key = dir.join("invitation.key");
        std::fs::write(&invitation_key, "i".repeat(48))?;

        let frontends =
            [free_port("127.0.0.1")?, free_port("127.0.0.1")?, free_port("127.0.0.1")?, free_port("127.0.0.1")?];
        let gate_proxy = LatencyProxy::start(frontends[Service::Validation.index()]).await?;
        let endpoint = |s: Service| format!("http://{}", frontends[s.index()]);
        let mut replicas = Vec::new();
        for s in Service::ALL {
            for number in 1..=2 {
                let addr = free_port(&format!("127.0.0.{}", number + 1))?;
                let mut args: Vec<String> = [
                    "--listen",
                    &addr.to_string(),
                    "--database-url",
                    &pg.url(s.database()),
                    "--drain-delay",
                    "1s",
                    "--shutdown-grace",
                    "5s",
                    "--jwt-hs256-secret-file",
                    &secret.display().to_string(),
                    "--jwt-issuer",
                    gcc_testkit::ISSUER,
                    "--jwt-audience",
                    gcc_testkit::AUDIENCE,
                    "--reviewer-tenants",
                    gcc_testkit::REVIEWER_TENANT,
                ]
                .iter()
                .map(|a| a.to_string())
                .collect();
                let more = match s {
                    Service::Partner => vec![],
                    Service::Validation => vec![
                        "--partner-endpoint".into(),
                        endpoint(Service::Partner),
                        "--relationships-endpoint".into(),
                        endpoint(Service::Relationships),
                    ],
                    Service::Relationships => vec![
                        "--partner-endpoint".into(),
                        endpoint(Service::Partner),
                        "--invitation-key-file".into(),
                        invitation_key.display().to_string(),
                    ],
                    Service::Ordering => vec![
                        "--validation-endpoint".into(),
                        format!("http://{}", gate_proxy.local_addr()),
                        "--relationships-endpoint".into(),
                        endpoint(Service::Relationships),
                    ],
                };
                args.extend(more);
                replicas.push(Replica {
                    service: s,
                    number,
                    addr,
                    program: bin_dir.join(s.name()),
                    args,
                    log: dir.join(format!("{}-r{number}.log", s.name())),
                    child: None,
                });
            }
        }
        let haproxy = Haproxy::start(dir, frontends, &replicas)?;
        for r in &mut replicas {
            r.spawn()?;
        }
        let cluster = Self { replicas, haproxy, gate_proxy, pg };
        cluster.haproxy.listening().await?;
        for r in &cluster.replicas {
            r.serving(Duration::from_secs(60)).await?;
            cluster.haproxy.until_up(r, Duration::from_secs(10)).await?;
        }
        Ok(cluster)
    }

    pub fn endpoint(&self, s: Service) -> String {
        format!("http://{}", self.haproxy.frontends[s.index()])
    }

    pub fn database_url(&self, s: Service) -> String {
        self.pg.url(s.database())
    }

    pub fn replica(&self, s: Service, number: usize) -> usize {
        self.replicas.iter().position(|r| r.service == s && r.number == number).expect("two replicas of each service")
    }

    /// Starts replica `i` again and waits until it serves and HAProxy sends it calls.
    pub async fn restart(&mut self, i: usize) -> anyhow::Result<()> {
        self.replicas[i].spawn()?;
        self.replicas[i].serving(Duration::from_secs(30)).await?;
        self.haproxy.set_state(&self.replicas[i], "ready").await?;
        self.haproxy.until_up(&self.replicas[i], Duration::from_secs(10)).await
    }

    /// SIGTERM, as an orchestrator stops a replica: HAProxy stops sending it new calls
    /// at the same moment (the mesh removes the endpoint); the replica drains and exits.
    pub async fn terminate(&mut self, i: usize) -> anyhow::Result<()> {
        self.haproxy.set_state(&self.replicas[i], "drain").await?;
        self.replicas[i].terminate()?;
        self.replicas[i].exited(Duration::from_secs(20)).await
    }

    /// Stops every replica gracefully.
    pub async fn stop(&mut self) {
        for r in &self.replicas {
            let _ = r.terminate();
        }
        for r in &mut self.replicas {
            if r.exited(Duration::from_secs(15)).await.is_err() {
                let _ = r.kill9();
            }
        }
    }
}
