//! Session tokens: HS256 JWTs bound to a session row. The signature and `exp` are checked here;
//! the session and user are checked against the database by the `AuthUser` guard.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::db::users::UserRow;

const ISSUER: &str = "stockroom";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claims {
    pub sub: String,
    pub user_id: i64,
    pub username: Option<String>,
    pub email: String,
    pub name: String,
    pub role: String,
    pub sid: i64,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
}

pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl: i64,
}

impl Tokens {
    pub fn new(secret: &[u8], ttl: u64) -> Tokens {
        let mut validation = Validation::new(Algorithm::HS256);
        // No leeway: a token is dead the second its `exp` passes.
        validation.leeway = 0;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss"]);
        Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl: ttl as i64,
        }
    }

    pub fn issue(&self, user: &UserRow, sid: i64, iat: i64) -> String {
        let claims = Claims {
            sub: user.id.to_string(),
            user_id: user.id,
            username: user.username.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role.to_string(),
            sid,
            iss: ISSUER.into(),
            iat,
            exp: iat + self.ttl,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding of plain claims cannot fail")
    }

    /// `None` for anything but a well-formed, unexpired HS256 token signed with our secret whose
    /// header asks for no key lookup (`kid`, `jku`, `jwk`, `x5u` are refused outright).
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.kid.is_some() || header.jku.is_some() || header.jwk.is_some() || header.x5u.is_some() {
            return None;
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        (data.claims.sub == data.claims.user_id.to_string()).then_some(data.claims)
    }
}
