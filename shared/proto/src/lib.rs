//! Generated Rust for every `gcc.*` contract in `proto/`, plus the encoded file
//! descriptor set that servers publish through reflection.

#![allow(clippy::all, missing_docs)]

/// Every file of every package, imports included, as an encoded `FileDescriptorSet`.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptor.bin"));

pub mod google {
    pub mod api {
        tonic::include_proto!("google.api");
    }
}

pub mod gcc {
    pub mod r#type {
        pub mod v1 {
            tonic::include_proto!("gcc.r#type.v1");
        }
    }
    pub mod partner {
        pub mod v1 {
            tonic::include_proto!("gcc.partner.v1");
        }
    }
    pub mod notification {
        pub mod v1 {
            tonic::include_proto!("gcc.notification.v1");
        }
    }
    pub mod validation {
        pub mod v1 {
            tonic::include_proto!("gcc.validation.v1");
        }
    }
    pub mod relationships {
        pub mod v1 {
            tonic::include_proto!("gcc.relationships.v1");
        }
    }
    pub mod ordering {
        pub mod v1 {
            tonic::include_proto!("gcc.ordering.v1");
        }
    }
}

pub use gcc::notification::v1 as notification;
pub use gcc::ordering::v1 as ordering;
pub use gcc::partner::v1 as partner;
pub use gcc::relationships::v1 as relationships;
pub use gcc::r#type::v1 as types;
pub use gcc::validation::v1 as validation;
