"""The Arequipa 2020 example, as data: who, where, what was seized and how it moved.

Modelled on the October 2020 operation in Arequipa (Peru) against a ring that bought
newborns from mothers in poverty and sold them for about 4,000 soles each. Every name,
badge, address, IMEI, plate and seal here is fictitious, and visibly so ("DEMO", "Ficticia").
"""

from __future__ import annotations

CASE = {
    "case_no": "DEMO-AQP-2020-0147",
    "title": "Trata de personas: venta de recién nacidos (Arequipa, octubre 2020) [EJEMPLO FICTICIO]",
    "court": "Fiscalía Provincial Penal de Arequipa (ejemplo)",
    "prosecutor": "DEMO-501",
    "opened_at": "2020-10-06T04:00",
}

# badge, name, role, unit
# The ledger's admin, who starts it and registers the people below.
ADMIN = ("DEMO-001", "Lic. Teresa Ejemplo Medina (administración)", "Oficina de Custodia (ejemplo)")
# Passphrase of the demo's throwaway keys (evidence-demo-keys/ beside the ledger): never a real one.
KEY_PASSPHRASE = "demo"

OFFICERS = [
    ("DEMO-101", "Sgto. Ana Ficticia Quispe", "officer", "DIVINCRI Arequipa (ejemplo)"),
    ("DEMO-102", "Cabo Luis Ejemplo Condori", "officer", "DIVINCRI Arequipa (ejemplo)"),
    ("DEMO-103", "Sgto. Elena Muestra Apaza", "officer", "DIVINCRI Arequipa (ejemplo)"),
    ("DEMO-201", "Carmen Ficticia Flores (custodia)", "custodian", "Almacén de evidencias (ejemplo)"),
    ("DEMO-301", "Perito Jorge Ejemplo Salas", "custodian", "Laboratorio de Criminalística (ejemplo)"),
    ("DEMO-401", "Rosa Demo Vera (auditoría)", "auditor", "Inspectoría (ejemplo)"),
    ("DEMO-501", "Fiscal Marco Ejemplo Ccori", "prosecutor", "Fiscalía Provincial de Arequipa (ejemplo)"),
]

# code, name, kind
LOCATIONS = [
    ("DEMO-ER", "Almacén de evidencias, Arequipa (ejemplo)", "evidence-room"),
    ("DEMO-VAULT", "Bóveda de valores (ejemplo)", "vault"),
    ("DEMO-LOT", "Depósito vehicular (ejemplo)", "vehicle-lot"),
    ("DEMO-LAB", "Laboratorio de Criminalística (ejemplo)", "lab"),
    ("DEMO-FISCALIA", "Despacho fiscal (ejemplo)", "court"),
]

# The raids of 6 October 2020, Lima time. Each seizure's items follow it.
SEIZURES = [
    {
        "key": "cerro-colorado",
        "acta": "ACTA-DEMO-001",
        "at": "2020-10-06T05:30",
        "place": "Calle Ficticia 101, Cerro Colorado, Arequipa (ejemplo)",
        "by": "DEMO-101",
        "from_persons": ["Persona Ficticia Uno", "Persona Ficticia Dos"],
        "witnesses": ["Testigo Ejemplo Uno"],
        "items": [
            ("cash", {"amount": "15,000.00", "currency": "USD", "denominations": "100x120,50x60",
                      "counted-by": "DEMO-101", "verified-by": "DEMO-102", "seal": "DEMO-S-0001"}),
            ("cash", {"amount": "12,400.00", "currency": "PEN", "denominations": "200x30,100x50,50x28",
                      "counted-by": "DEMO-101", "verified-by": "DEMO-102", "seal": "DEMO-S-0002"}),
            ("vehicle", {"make": "Toyota", "model": "Hilux", "plate": "DEM-001", "vin": "9DEM0000900000001",
                         "year": "2017", "color": "Blanco", "value": "78000 PEN"}),
            ("phone", {"imei": "350000000000014", "make": "Samsung", "model": "Galaxy A20",
                       "number": "+51 900 000 001", "seal": "DEMO-S-0003"}),
            ("phone", {"imei": "350000000000022", "imei2": "350000000000030", "make": "Xiaomi",
                       "model": "Redmi Note 8", "seal": "DEMO-S-0004"}),
            ("document", {"title": "Cuaderno de cuentas con nombres y montos (ejemplo)", "pages": "96",
                          "seal": "DEMO-S-0005"}),
        ],
    },
    {
        "key": "paucarpata",
        "acta": "ACTA-DEMO-002",
        "at": "2020-10-06T06:10",
        "place": "Av. Ejemplo 202, Paucarpata, Arequipa (ejemplo)",
        "by": "DEMO-102",
        "from_persons": ["Persona Ficticia Tres"],
        "witnesses": ["Testigo Ejemplo Dos"],
        "items": [
            ("cash", {"amount": "7,300.00", "currency": "USD", "denominations": "100x60,50x20,20x15",
                      "counted-by": "DEMO-102", "verified-by": "DEMO-103", "seal": "DEMO-S-0006"}),
            ("cash", {"amount": "14,500.00", "currency": "PEN", "denominations": "200x40,100x55,50x20",
                      "counted-by": "DEMO-102", "verified-by": "DEMO-103", "seal": "DEMO-S-0007"}),
            ("vehicle", {"make": "Hyundai", "model": "Accent", "plate": "DEM-002", "year": "2014",
                         "color": "Gris", "value": "21000 PEN"}),
            ("phone", {"imei": "350000000000048", "make": "Motorola", "model": "Moto G8",
                       "number": "+51 900 000 002", "seal": "DEMO-S-0008"}),
            ("document", {"title": "Contratos de 'adopción' sin valor legal (ejemplo)", "pages": "14",
                          "seal": "DEMO-S-0009"}),
        ],
    },
    {
        "key": "bustamante",
        "acta": "ACTA-DEMO-003",
        "at": "2020-10-06T06:45",
        "place": "Jr. Muestra 303, José Luis Bustamante y Rivero, Arequipa (ejemplo)",
        "by": "DEMO-103",
        "from_persons": ["Persona Ficticia Cuatro"],
        "witnesses": ["Testigo Ejemplo Tres"],
        "items": [
            ("phone", {"imei": "350000000000055", "make": "Huawei", "model": "Y7",
                       "number": "+51 900 000 003", "seal": "DEMO-S-0010"}),
            ("document", {"title": "Documentos de identidad de recién nacidos (copias, ejemplo)", "pages": "6",
                          "seal": "DEMO-S-0011"}),
        ],
    },
]

# The exchange rate for the seizure date, entered as an example value, not an official figure.
RATE = {
    "date": "2020-10-06",
    "base": "USD",
    "quote": "PEN",
    "rate": "3.5870",
    "side": "sell",
    "source": "EJEMPLO - valor ilustrativo, no oficial",
}

# What the ring charged per baby, as reported; converted at the example rate.
PRICE_PER_BABY = ("4000.00", "PEN")

REGISTERED_AT = "2020-10-06T09:00"

# The evidence room (section 6 of the demo): the soles paid into the bank the next day (the
# dollars stay in the vault, so `due` lists them), a review date for the vehicles, and an audit
# of the evidence room with a sample, in which two discrepancies are planted on purpose.
DEPOSIT = {"bank": "Banco de la Nación (ejemplo)", "account": "DEMO-00-068-0147", "voucher": "DEMO-0457812",
           "at": "2020-10-07T11:00", "by": "DEMO-201"}
REVIEW = {"on": "2021-04-06", "reason": "Revisión semestral de los vehículos incautados (ejemplo)",
          "at": "2020-10-07T12:00", "by": "DEMO-501"}
AUDIT = {"location": "DEMO-ER", "sample": 3, "by": "DEMO-401", "planted_seal": "DEMO-S-9999"}
# The moment `due` looks from: the day after the vehicles' review date.
DUE_AT = "2021-04-07T09:00"
