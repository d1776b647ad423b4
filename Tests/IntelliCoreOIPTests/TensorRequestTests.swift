import IntelliCoreOIP
import Testing

/// The hot path's reader of the common request form must agree with the general decoder on what
/// it takes, and hand everything else back untouched.
@Suite struct TensorRequestTests {
    static func decode(_ text: String, into numbers: inout [Float]) throws(OIPRequestDecoder.Failure) -> OIPTensorRequest {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { body throws(OIPRequestDecoder.Failure) in
            try OIPTensorRequest.decode(body, appendingTo: &numbers)
        }
    }

    static func text(_ range: Range<Int>?, of text: String) -> String? {
        range.map { String(decoding: Array(text.utf8)[$0], as: UTF8.self) }
    }

    @Test(arguments: [
        #"{"id":"r-1","model_name":"churn","inputs":[{"name":"input","shape":[2,3],"datatype":"FP32","data":[0.10000000149011612,-2e-3,3,4E2,525.5,0]}]}"#,
        #" { "model_version" : "3", "alias": null, "inputs" : [ { "data" : [[1, 2, 3], [4, 5, 6]], "datatype":"FP64", "shape":[2,3], "name":"x", "parameters":{"a":[1,{"b":"c"}]} } ], "id":"", "model_name":"m", "extra": [true, null] } "#,
    ])
    func theCommonFormReadsAsTheGeneralDecoderReadsIt(text: String) throws {
        var numbers: [Float] = [42] // what an earlier request of the batch left
        let fast = try Self.decode(text, into: &numbers)
        let general = try OIPRequest.decode(Array(text.utf8))
        try #require(general.inputs.count == 1)
        let tensor = general.inputs[0]
        #expect(Self.text(fast.id, of: text) == general.id)
        #expect(Self.text(fast.modelName, of: text) == general.modelName)
        #expect(Self.text(fast.modelVersion, of: text) == general.modelVersion)
        #expect(Self.text(fast.alias, of: text) == general.alias)
        #expect(Self.text(fast.tensorName, of: text) == tensor.name && Self.text(fast.datatype, of: text) == tensor.datatype)
        #expect([fast.rows, fast.columns] == tensor.shape)
        #expect(fast.values == 1..<numbers.count && numbers[0] == 42)
        #expect(Array(numbers[fast.values]) == tensor.numbers, "the same Floats, bit for bit")
    }

    @Test(arguments: [
        // several inputs, strings, a shape of another rank, escapes, booleans, no input at all
        #"{"id":"x","model_name":"m","inputs":[{"name":"a","shape":[1,1],"datatype":"FP32","data":[1]},{"name":"b","shape":[1,1],"datatype":"FP32","data":[2]}]}"#,
        #"{"id":"x","model_name":"m","inputs":[{"name":"plan","shape":[2],"datatype":"BYTES","data":["pro","free"]}]}"#,
        #"{"id":"x","model_name":"m","inputs":[{"name":"a","shape":[3],"datatype":"FP32","data":[1,2,3]}]}"#,
        #"{"id":"r\"1","model_name":"m","inputs":[{"name":"input","shape":[1,1],"datatype":"FP32","data":[7]}]}"#,
        #"{"id":"x","model_name":"m","inputs":[{"name":"a","shape":[1,2],"datatype":"BOOL","data":[1,true]}]}"#,
        #"{"id":"x","model_name":"m","inputs":[]}"#,
    ])
    func otherFormsAreHandedBackWithTheBufferUntouched(text: String) {
        var numbers: [Float] = [1, 2, 3]
        #expect(throws: OIPRequestDecoder.Failure.unsupported) { try Self.decode(text, into: &numbers) }
        #expect(numbers == [1, 2, 3])
    }

    @Test(arguments: ["", "{", #"{"id":"x","model_name":"m","inputs":[{"name":"a","shape":[1,2],"datatype":"FP32","data":[1,2]}]} trailing"#,
                      #"{"id":"x","inputs":[{"name":"a","shape":[1,2],"datatype":"FP32","data":[1,2]}]}"#,
                      #"{"id":"x","model_name":"m","inputs":[{"name":"a","shape":[1,2],"datatype":"FP32","data":[1,2e]}]}"#])
    func malformedBodiesAreMalformedWithTheBufferUntouched(text: String) {
        var numbers: [Float] = [9]
        #expect(throws: (any Error).self) { try Self.decode(text, into: &numbers) }
        #expect(numbers == [9])
        #expect(throws: (any Error).self) { try OIPRequest.decode(Array(text.utf8)) }
    }
}
