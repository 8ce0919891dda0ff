use super::*;
use crate::azure::placement::{Placement, ResourceId, ServiceEndpoint, Subnet};
use crate::model::{PolicyDecision, PolicyUnknown};

const EXAMPLE: &str = include_str!("../../../tests/data/microsoft/ServiceEndpointPolicyGet.json");

fn example() -> Vec<EndpointPolicy> {
    let v: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap();
    parse_endpoint_policies(&v["responses"]["200"]["body"].to_string()).unwrap()
}

const POLICY: &str = "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/serviceEndpointPolicies/testServiceEndpointPolicy";

fn subnet(policies: &[&str]) -> Placement {
    Placement {
        subnets: vec![Subnet {
            id: ResourceId::new(
                "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v/subnets/s",
            ),
            prefixes: Vec::new(),
            default_outbound_access: None,
            nat_gateway: None,
            service_endpoints: vec![ServiceEndpoint {
                service: "Microsoft.Storage".into(),
                locations: vec!["eastus".into()],
            }],
            endpoint_policies: policies.iter().map(|p| ResourceId::new(p)).collect(),
            nsg: None,
            route_table: None,
        }],
        ..Placement::default()
    }
}

#[test]
fn microsoft_example_reads() {
    let p = example();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].id, ResourceId::new(POLICY));
    let d = &p[0].definitions[0];
    assert_eq!(d.name, "StorageServiceEndpointPolicyDefinition");
    assert_eq!(d.service, "Microsoft.Storage");
    assert_eq!(d.resources.len(), 3);
}

#[test]
fn listed_by_name_by_id_by_scope_and_not_listed() {
    let policies = example();
    let p = subnet(&[POLICY]);
    let by_name = |name: &str| {
        verdict(
            &p,
            &policies,
            &Account {
                name: Some(name),
                id: None,
            },
        )
        .unwrap()
        .decision
    };
    assert!(matches!(
        by_name("stAccount"),
        PolicyDecision::Listed { .. }
    ));
    // Another account: the subscription and group listed may hold it.
    assert_eq!(
        by_name("asrcache1"),
        PolicyDecision::CannotTell {
            why: PolicyUnknown::ScopeOnly {
                resource: "/subscriptions/subid1".into()
            }
        }
    );
    let elsewhere = ResourceId::new(
        "/subscriptions/other/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/asrcache1",
    );
    let with_id = |id: &ResourceId| {
        verdict(
            &p,
            &policies,
            &Account {
                name: None,
                id: Some(id),
            },
        )
        .unwrap()
    };
    let v = with_id(&elsewhere);
    assert_eq!(v.decision, PolicyDecision::NotListed);
    assert_eq!(v.allowed(), Some(false));
    assert_eq!(v.account.as_deref(), Some("asrcache1"));
    let in_sub = ResourceId::new(
        "/subscriptions/SUBID1/resourceGroups/x/providers/Microsoft.Storage/storageAccounts/asrcache1",
    );
    assert!(matches!(
        with_id(&in_sub).decision,
        PolicyDecision::Listed { ref resource, .. } if resource == "/subscriptions/subid1"
    ));
    // No account known; a policy not given; no policy or no endpoint.
    assert_eq!(
        verdict(&p, &policies, &Account::default())
            .unwrap()
            .decision,
        PolicyDecision::CannotTell {
            why: PolicyUnknown::AccountUnknown
        }
    );
    let other = subnet(&[&POLICY.replace("testServiceEndpointPolicy", "p2")]);
    assert_eq!(
        verdict(
            &other,
            &policies,
            &Account {
                name: Some("x"),
                id: Some(&elsewhere)
            }
        )
        .unwrap()
        .decision,
        PolicyDecision::CannotTell {
            why: PolicyUnknown::PolicyNotGiven {
                policy: "p2".into()
            }
        }
    );
    assert_eq!(verdict(&subnet(&[]), &policies, &Account::default()), None);
    let mut no_endpoint = subnet(&[POLICY]);
    no_endpoint.subnets[0].service_endpoints.clear();
    assert_eq!(verdict(&no_endpoint, &policies, &Account::default()), None);
}
