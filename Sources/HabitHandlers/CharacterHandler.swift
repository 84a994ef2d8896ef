import Foundation
public import HabitAPI
import HabitCore
public import RPCCore

/// Serves habit.v1.CharacterService on HabitCore's `CharacterService`.
public struct CharacterHandler: CharacterServiceHandler {
    let application: HabitApplication

    /// A handler over `application`.
    public init(application: HabitApplication) { self.application = application }

    public func getCharacter(request: GetCharacterRequest, context: ServerCallContext) async throws
        -> GetCharacterResponse
    {
        try await application.call(context) { user in
            var response = GetCharacterResponse()
            response.character = HabitAPI.Character(
                try await application.characters.overview(user), now: application.environment.clock.now())
            return response
        }
    }

    public func updateCharacter(request: UpdateCharacterRequest, context: ServerCallContext) async throws
        -> UpdateCharacterResponse
    {
        let changes = HabitCore.CharacterService.SettingsChanges(
            displayName: request.displayName, timeZoneID: request.timeZone,
            dayStartMinutes: request.dayStartMinutes.map { Int($0) })
        return try await application.call(context) { user in
            var response = UpdateCharacterResponse()
            _ = try await application.characters.updateSettings(user, changes)
            response.character = HabitAPI.Character(
                try await application.characters.overview(user), now: application.environment.clock.now())
            return response
        }
    }

    public func createReward(request: CreateRewardRequest, context: ServerCallContext) async throws
        -> CreateRewardResponse
    {
        try refuseUnsupported(!request.notes.isEmpty, field: "notes")
        try refuseUnsupported(!request.metadata.isEmpty, field: "metadata")
        return try await application.call(context) { user in
            var response = CreateRewardResponse()
            response.reward = HabitAPI.Reward(
                try await application.characters.createReward(
                    user, name: request.name, priceCentiCoins: request.priceCoinsCenti))
            return response
        }
    }

    public func listRewards(request: ListRewardsRequest, context: ServerCallContext) async throws -> ListRewardsResponse {
        try await application.call(context) { user in
            let page = try await application.characters.listRewards(
                user, pageSize: Int(request.pageSize), pageToken: request.pageToken)
            var response = ListRewardsResponse()
            response.rewards = page.items.map { HabitAPI.Reward($0) }
            response.nextPageToken = page.nextPageToken ?? ""
            return response
        }
    }

    public func redeemReward(request: RedeemRewardRequest, context: ServerCallContext) async throws
        -> RedeemRewardResponse
    {
        let id = try RewardID(request: request.rewardId)
        return try await application.call(context) { user in
            let outcome = try await application.characters.redeem(
                user, id, idempotencyKey: idempotencyKey(request.idempotencyKey))
            var response = RedeemRewardResponse()
            try await forEachLedgerPage(user, through: outcome.ledgerSequence) { entries in
                if let entry = entries.last(where: { $0.sequence == UInt64(outcome.ledgerSequence) }) {
                    response.entry = entry
                }
            }
            response.character = CharacterSummary(try await application.characters.get(user))
            return response
        }
    }

    public func listLedger(
        request: ListLedgerRequest, responses: RPCWriter<ListLedgerResponse>, context: ServerCallContext
    ) async throws {
        let size = try batchSize(request.batchSize)
        try await application.call(context) { user in
            var batch = ListLedgerResponse()
            try await forEachLedgerPage(user, through: nil) { entries in
                for entry in entries where entry.sequence > request.afterSequence {
                    batch.entries.append(entry)
                    if batch.entries.count == size {
                        try await responses.write(batch)
                        batch.entries.removeAll(keepingCapacity: true)
                    }
                }
            }
            if !batch.entries.isEmpty { try await responses.write(batch) }
        }
    }

    /// Reads the ledger from its start, page by page, with the running coin balance (the ledger stores
    /// deltas only), until `through` (a sequence) or the end.
    private func forEachLedgerPage(
        _ user: UserID, through last: Int64?, _ body: ([HabitAPI.LedgerEntry]) async throws -> Void
    ) async throws {
        var balance: Int64 = 0
        var token = ""
        repeat {
            let page = try await application.characters.ledger(user, pageSize: 100, pageToken: token)
            var mapped: [HabitAPI.LedgerEntry] = []
            for entry in page.items where last.map({ entry.sequence <= $0 }) ?? true {
                balance += entry.amount.centiCoins
                mapped.append(HabitAPI.LedgerEntry(entry, balance: balance))
            }
            try await body(mapped)
            let isPastLast = last.map { limit in page.items.last.map { $0.sequence >= limit } ?? true } ?? false
            token = isPastLast ? "" : page.nextPageToken ?? ""
        } while !token.isEmpty
    }
}
