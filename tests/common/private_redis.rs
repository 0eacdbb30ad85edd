//! A private `redis-server` for tests that kill, freeze or restart it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A private Redis server on a free port, stopped when dropped.
pub struct PrivateRedis {
    child: Child,
    port: u16,
    pub url: String,
}

impl PrivateRedis {
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start_on(port)
    }

    /// A private server started with `args` besides the usual ones (a
    /// password, say).
    #[allow(dead_code)]
    pub fn start_with(args: &[&str]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start_on_with(port, args)
    }

    /// The script calls this server has run so far (EVAL or EVALSHA).
    #[allow(dead_code)]
    pub fn script_calls(&self) -> u64 {
        let mut connection = redis::Client::open(self.url.as_str())
            .unwrap()
            .get_connection()
            .unwrap();
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query(&mut connection)
            .unwrap();
        info.lines()
            .filter(|line| {
                line.starts_with("cmdstat_evalsha:") || line.starts_with("cmdstat_eval:")
            })
            .filter_map(|line| line.split("calls=").nth(1))
            .filter_map(|calls| calls.split(',').next()?.parse::<u64>().ok())
            .sum()
    }

    fn start_on(port: u16) -> Self {
        Self::start_on_with(port, &[])
    }

    fn start_on_with(port: u16, args: &[&str]) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (.ci/run installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        Self {
            child,
            port,
            url: format!("redis://127.0.0.1:{port}"),
        }
    }

    /// A fresh, empty server on the same port (as after a crash without
    /// persistence).
    pub fn restart(&mut self) {
        self.stop();
        *self = Self::start_on(self.port);
    }

    /// Stops the server without closing its sockets: calls hang.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal}");
    }

    pub fn stop(&mut self) {
        // A frozen server must wake to die.
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}
