// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @notice ERC-5192: minimal soulbound NFTs. Interface id 0xb45a3c0e.
interface IERC5192 {
    /// @notice Emitted when the locking status is changed to locked (here: at mint).
    event Locked(uint256 tokenId);

    /// @notice Emitted when the locking status is changed to unlocked (never here).
    event Unlocked(uint256 tokenId);

    /// @notice Whether `tokenId` is locked (always true here); reverts for a token that does not exist.
    function locked(uint256 tokenId) external view returns (bool);
}

/**
 * @title AchievementBadge
 * @notice Soulbound (ERC-5192) ERC-721 badges, one per achievement a member unlocked.
 *
 * - Token ids are sequential from 1. Each token records the achievement it proves
 *   (`achievementOf`): a uint64 derived off-chain from the achievement's slug, the first 8 bytes
 *   of keccak256(slug) (`achievementTokenId` in src/chain/contracts/achievement-token-id.ts).
 * - The contract does not refuse a second badge for the same (holder, achievement): that check
 *   would cost another storage slot per badge. The minter's outbox makes mints idempotent.
 * - MINTER_ROLE mints (`mint`, `mintBatch`); DEFAULT_ADMIN_ROLE revokes (burns) badges, sets the
 *   base URI and manages roles. Holders cannot transfer or approve: those calls revert `Soulbound()`.
 * - Every mint emits Transfer, Locked and BadgeMinted(tokenId, to, achievementId), so a listener
 *   gets the achievement id from the log without a call.
 *
 * Why not OpenZeppelin's ERC721: its private `_owners` slot cannot hold the achievement id, so
 * a badge would cost a second fresh storage slot (~22k gas). Here owner and achievement id share
 * one slot, which keeps `mintBatch` of 300 badges to 300 first-time holders under the 2^24 per-tx
 * gas cap (EIP-7825). Transfers and approvals do not exist, which is what makes this core small.
 */
contract AchievementBadge is AccessControl, IERC721Metadata, IERC721Errors, IERC4906, IERC5192 {
    using Strings for uint256;

    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @notice Transfers and approvals are disabled: badges are bound to their holder.
    error Soulbound();
    /// @notice `mintBatch` got arrays of different lengths.
    error LengthMismatch(uint256 recipients, uint256 achievementIds);
    /// @notice `mintBatch` got no recipient.
    error EmptyBatch();
    /// @notice An achievement id must fit in 64 bits.
    error AchievementIdOutOfRange(uint256 achievementId);

    /// @notice A badge was minted; emitted with Transfer and Locked.
    event BadgeMinted(uint256 indexed tokenId, address indexed to, uint256 indexed achievementId);
    /// @notice An admin revoked (burned) a badge; emitted with Transfer to the zero address.
    event BadgeRevoked(uint256 indexed tokenId, address indexed owner, uint256 indexed achievementId);

    /// @dev Owner and achievement id in one storage slot (20 + 8 bytes).
    struct Token {
        address owner;
        uint64 achievementId;
    }

    mapping(uint256 tokenId => Token) private _tokens;
    mapping(address owner => uint256) private _balances;
    /// @dev Starts at 1 so the first mint does not pay for a zero-to-non-zero write.
    uint256 private _nextTokenId = 1;
    uint256 private _burned;
    string private _baseTokenURI;

    constructor(address admin, address minter, string memory baseURI_) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, minter);
        _baseTokenURI = baseURI_;
    }

    // ── Minting and revoking ────────────────────────────────────────────────

    /// @notice Mints one badge; returns its token id.
    function mint(address to, uint256 achievementId) external onlyRole(MINTER_ROLE) returns (uint256 tokenId) {
        tokenId = _nextTokenId;
        _mintOne(to, tokenId, achievementId);
        _nextTokenId = tokenId + 1;
    }

    /// @notice Mints `to[i]` a badge for `achievementIds[i]`, with consecutive token ids; returns the first.
    function mintBatch(address[] calldata to, uint256[] calldata achievementIds)
        external
        onlyRole(MINTER_ROLE)
        returns (uint256 firstTokenId)
    {
        uint256 n = to.length;
        if (n != achievementIds.length) revert LengthMismatch(n, achievementIds.length);
        if (n == 0) revert EmptyBatch();
        firstTokenId = _nextTokenId;
        uint256 tokenId = firstTokenId;
        for (uint256 i; i < n;) {
            _mintOne(to[i], tokenId, achievementIds[i]);
            unchecked {
                ++i;
                ++tokenId;
            }
        }
        _nextTokenId = tokenId;
    }

    /// @notice Burns a badge (admin only), e.g. one minted by mistake or for a revoked achievement.
    function revoke(uint256 tokenId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Token memory token = _tokens[tokenId];
        if (token.owner == address(0)) revert ERC721NonexistentToken(tokenId);
        delete _tokens[tokenId];
        unchecked {
            _balances[token.owner] -= 1;
            _burned += 1;
        }
        emit Transfer(token.owner, address(0), tokenId);
        emit BadgeRevoked(tokenId, token.owner, token.achievementId);
    }

    /// @notice Sets the prefix of every tokenURI (admin only), e.g. `https://host/v1/badges/`.
    function setBaseURI(string calldata baseURI_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _baseTokenURI = baseURI_;
        if (_nextTokenId > 1) emit BatchMetadataUpdate(1, _nextTokenId - 1);
    }

    function _mintOne(address to, uint256 tokenId, uint256 achievementId) private {
        if (to == address(0)) revert ERC721InvalidReceiver(address(0));
        if (achievementId > type(uint64).max) revert AchievementIdOutOfRange(achievementId);
        _tokens[tokenId] = Token(to, uint64(achievementId));
        unchecked {
            _balances[to] += 1;
        }
        emit Transfer(address(0), to, tokenId);
        emit Locked(tokenId);
        emit BadgeMinted(tokenId, to, achievementId);
    }

    // ── Reads ───────────────────────────────────────────────────────────────

    /// @notice The achievement id a badge proves; reverts for a token that does not exist.
    function achievementOf(uint256 tokenId) external view returns (uint256) {
        Token memory token = _tokens[tokenId];
        if (token.owner == address(0)) revert ERC721NonexistentToken(tokenId);
        return token.achievementId;
    }

    /// @notice The id the next minted badge will get.
    function nextTokenId() external view returns (uint256) {
        return _nextTokenId;
    }

    /// @notice Badges in existence (minted minus revoked).
    function totalSupply() external view returns (uint256) {
        return _nextTokenId - 1 - _burned;
    }

    function baseURI() external view returns (string memory) {
        return _baseTokenURI;
    }

    function name() external pure returns (string memory) {
        return "Achievement Badge";
    }

    function symbol() external pure returns (string memory) {
        return "BADGE";
    }

    /// @notice `baseURI + tokenId + "/metadata"`, or "" while no base URI is set.
    function tokenURI(uint256 tokenId) external view returns (string memory) {
        _requireOwned(tokenId);
        bytes memory base = bytes(_baseTokenURI);
        return base.length == 0 ? "" : string.concat(_baseTokenURI, tokenId.toString(), "/metadata");
    }

    function balanceOf(address owner) external view returns (uint256) {
        if (owner == address(0)) revert ERC721InvalidOwner(address(0));
        return _balances[owner];
    }

    function ownerOf(uint256 tokenId) external view returns (address) {
        return _requireOwned(tokenId);
    }

    function locked(uint256 tokenId) external view returns (bool) {
        _requireOwned(tokenId);
        return true;
    }

    /// @notice Always the zero address: nothing can be approved.
    function getApproved(uint256 tokenId) external view returns (address) {
        _requireOwned(tokenId);
        return address(0);
    }

    /// @notice Always false: nothing can be approved.
    function isApprovedForAll(address, address) external pure returns (bool) {
        return false;
    }

    function supportsInterface(bytes4 interfaceId) public view override(AccessControl, IERC165) returns (bool) {
        return interfaceId == type(IERC721).interfaceId || interfaceId == type(IERC721Metadata).interfaceId
            || interfaceId == type(IERC5192).interfaceId || interfaceId == bytes4(0x49064906) // ERC-4906
            || super.supportsInterface(interfaceId);
    }

    function _requireOwned(uint256 tokenId) private view returns (address owner) {
        owner = _tokens[tokenId].owner;
        if (owner == address(0)) revert ERC721NonexistentToken(tokenId);
    }

    // ── Soulbound: every transfer and approval path reverts ─────────────────
    // Declared non-payable (not `pure`) like IERC721, so the ABI is the standard one and clients
    // treat them as transactions; compile-contracts.ts accepts solc's "can be pure" note for them.

    function transferFrom(address, address, uint256) external {
        revert Soulbound();
    }

    function safeTransferFrom(address, address, uint256) external {
        revert Soulbound();
    }

    function safeTransferFrom(address, address, uint256, bytes calldata) external {
        revert Soulbound();
    }

    function approve(address, uint256) external {
        revert Soulbound();
    }

    function setApprovalForAll(address, bool) external {
        revert Soulbound();
    }
}
