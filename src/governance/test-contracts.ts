/**
 * Contracts for the governance tests, compiled at test time with the `solc` npm package:
 * - `GovTarget`: a call target that reverts while closed (on-chain execution, failure and retry);
 * - `Erc1271Wallet`: a minimal smart wallet whose owner's ECDSA signature is valid for it (ERC-1271).
 * Not used by the product.
 */
import { createRequire } from 'node:module';
import type { Abi, Hex } from 'viem';

const require = createRequire(import.meta.url);

const SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

contract GovTarget {
    bool public open = true;
    uint256 public value;
    uint256 public calls;

    function setOpen(bool o) external { open = o; }

    function setValue(uint256 v) external {
        require(open, "GovTarget: closed");
        value = v;
        calls += 1;
    }
}

contract Erc1271Wallet {
    address public owner;

    constructor(address o) { owner = o; }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65) return 0xffffffff;
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := calldataload(signature.offset)
            s := calldataload(add(signature.offset, 32))
            v := byte(0, calldataload(add(signature.offset, 64)))
        }
        return ecrecover(hash, v, r, s) == owner ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }
}
`;

export interface TestContract {
  abi: Abi;
  bytecode: Hex;
}

export function compileTestContracts(): { GovTarget: TestContract; Erc1271Wallet: TestContract } {
  const solc = require('solc') as { compile(input: string): string };
  const output = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: 'Solidity',
        sources: { 'Test.sol': { content: SOURCE } },
        settings: { evmVersion: 'cancun', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
      }),
    ),
  ) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const get = (name: string): TestContract => {
    const c = output.contracts['Test.sol']![name]!;
    return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
  };
  return { GovTarget: get('GovTarget'), Erc1271Wallet: get('Erc1271Wallet') };
}
