//! The mock server over real HTTP conforms to the reference, as a
//! downstream HTTP system would be checked.

mod support;

use ecs_image_copy::Config;
use ecs_image_copy::testing::{
    Conformance, CopyService, Reply, Step, parse_reply, prop_state_machine, request_query,
};
use proptest::test_runner::Config as ProptestConfig;

/// The mock server over real HTTP, as a downstream HTTP system would be.
#[derive(Debug)]
struct MockServer {
    server: support::Server,
    agent: ureq::Agent,
}

impl CopyService for MockServer {
    fn start(config: &Config) -> MockServer {
        let limit = config
            .regions()
            .next()
            .map_or(5, |(_, limit)| limit.get())
            .to_string();
        MockServer {
            server: support::Server::start(&["--manual", "--quiet", "--copy-limit", &limit]),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into(),
        }
    }

    fn send(&mut self, step: &Step<String>) -> Reply<String> {
        let url = format!("{}?{}", self.server.url(), request_query(step));
        let mut response = self.agent.get(&url).call().expect("the server answers");
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_vec().expect("a body");
        parse_reply(step, status, &body)
    }
}

impl std::fmt::Debug for support::Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mock server at {}", self.address)
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_mock_server_over_http_conforms_to_the_reference(sequential 1..25 => Conformance<MockServer>);
}
