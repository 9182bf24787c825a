// hubctl's trial-credential commands, which work on local key files only (no log, no server):
//
//   hubctl jwks --signing_key=FILE [--kid=trial-1]
//       prints the JWKS (public key set) for a token signing key, for hubd's --jwks file
//   hubctl token --signing_key=FILE [--kid=trial-1] --issuer=URL --audience=AUD[,AUD]
//                --user=ID --agency=ID [--roles=R1,R2] [--ttl=1h]
//       prints a signed bearer token for a practitioner, for trials
//
// In production the partnership's identity provider issues tokens; these exist so that a trial
// can run without one (deploy/make-trial-credentials.sh). They take their own flags, so they are
// dispatched before hubctl's usual command line parsing.
#pragma once

#include <optional>

namespace hub::hubctl {

// Runs `jwks` or `token` when that is the command on this command line and returns hubctl's
// exit code (0 ok, 1 failed, 2 usage error); nullopt for any other command.
std::optional<int> RunCredentialCommand(int argc, char** argv);

}  // namespace hub::hubctl
