/** True when libsecp256k1's native binding loaded (else recovery runs in JavaScript). */
export declare const nativeRecovery: boolean;
/** The lowercase address that signed `hash`, or undefined when the signature recovers no key. */
export declare function recoverSigner(hash: string, signature: string): Promise<string | undefined>;
