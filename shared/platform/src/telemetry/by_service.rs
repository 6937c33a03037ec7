//! An exporter that sends each span under the `service.name` of the service that made it:
//! server and client spans carry the name as a span attribute, which becomes the resource
//! of the batch the span is sent in. Spans without one go under the process's name.

use std::collections::HashMap;

use opentelemetry::{Key, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

const SERVICE_NAME: Key = Key::from_static_str("service.name");

/// One exporter per service, made before any span, and one for the process.
pub struct ByService<E> {
    process: E,
    services: HashMap<String, E>,
}

impl<E> std::fmt::Debug for ByService<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByService").field("services", &self.services.keys().collect::<Vec<_>>()).finish()
    }
}

impl<E: SpanExporter> ByService<E> {
    pub fn new<Err>(services: &[String], make: impl Fn() -> Result<E, Err>) -> Result<Self, Err> {
        let mut by_name = HashMap::new();
        for s in services {
            by_name.insert(s.clone(), make()?);
        }
        Ok(Self { process: make()?, services: by_name })
    }
}

impl<E: SpanExporter> SpanExporter for ByService<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let mut groups: HashMap<Option<String>, Vec<SpanData>> = HashMap::new();
        for mut span in batch {
            let named = span.attributes.iter().position(|kv| kv.key == SERVICE_NAME);
            // The name is the resource's, not the span's: it leaves the attributes.
            let service = named.map(|i| span.attributes.remove(i).value.as_str().into_owned());
            let service = service.filter(|s| self.services.contains_key(s));
            groups.entry(service).or_default().push(span);
        }
        let mut result = Ok(());
        for (service, spans) in groups {
            let exporter = service.and_then(|s| self.services.get(&s)).unwrap_or(&self.process);
            if let Err(e) = exporter.export(spans).await {
                result = Err(e);
            }
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: std::time::Duration) -> OTelSdkResult {
        let mut result = self.process.shutdown_with_timeout(timeout);
        for e in self.services.values() {
            if let Err(err) = e.shutdown_with_timeout(timeout) {
                result = Err(err);
            }
        }
        result
    }

    fn force_flush(&self) -> OTelSdkResult {
        let mut result = self.process.force_flush();
        for e in self.services.values() {
            if let Err(err) = e.force_flush() {
                result = Err(err);
            }
        }
        result
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.process.set_resource(resource);
        for (name, e) in self.services.iter_mut() {
            let attrs: Vec<KeyValue> = resource
                .iter()
                .filter(|(k, _)| **k != SERVICE_NAME)
                .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
                .chain([KeyValue::new(SERVICE_NAME, name.clone())])
                .collect();
            e.set_resource(&Resource::builder_empty().with_attributes(attrs).build());
        }
    }
}
